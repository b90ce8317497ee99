/**
 * The planner: a pure function from (desired, observed, recorded, now) to a `Plan`.
 * Desired jobs are paired with what runs and what was last applied, by job id; a job
 * missing from the commit is killed only if a record says Borealis applied it, and tasks
 * nothing declares are reported as orphans ("when unsure, don't delete" what you don't own
 * by accident: the record is the inventory).
 */
import { isInvalidTask, isTerminal, type ObservedTask } from '../cluster/types.js';
import type { JobId, JobSpec } from '../jobspec/types.js';
import { DEFAULT_BACKOFF, relaunchAt, type BackoffPolicy } from './backoff.js';
import { classifyTasks, type TaskSets } from './classify.js';
import { diffConfigs } from './diff.js';
import { holdOf, recordedSpec } from './held.js';
import { massKillCheck } from './guard.js';
import { groupBy } from '../util/group-by.js';
import {
  changedSince,
  frozenChange,
  jobIds,
  tasksByJob,
  tasksOf,
  type BasisInputs,
  type JobInputs,
  type PlanBasis,
  type PlanMemo,
} from './memo.js';
import {
  ACTIONS,
  PLAN_FORMAT_VERSION,
  type Action,
  type Deferred,
  type InstanceSets,
  type JobChange,
  type Plan,
  type RecordedJob,
} from './types.js';

export interface PlanInput {
  commit: string;
  cluster: string;
  /** The commit's jobs for this cluster. */
  desired: readonly JobSpec[];
  observed: readonly ObservedTask[];
  recorded: readonly RecordedJob[];
  now: number;
  backoff?: BackoffPolicy;
  /** Try again the updates held after failing (an explicit `borealis reconcile`). */
  retryHeld?: boolean;
  /**
   * Kill tasks no commit declares (on an instance no applied commit ever had, duplicates,
   * jobs nothing declares); default true. False (`--no-prune`) leaves them to be reported.
   */
  prune?: boolean;
  /** Decisions of earlier plans, reused for jobs whose inputs are unchanged (the daemon keeps one). */
  memo?: PlanMemo;
}

export function plan(input: PlanInput): Plan {
  const basis = input.memo?.takeBasis();
  const next = basisInputs(input);
  const changed = basis && changedSince(basis, next);
  const planned = (basis && changed && planFromBasis(basis, changed, next, input)) ?? planInFull(next, input);
  if (input.memo) {
    if (planned.basis) input.memo.keepBasis(planned.basis);
    input.memo.planned[planned.fromBasis ? 'fromLast' : 'inFull']++;
  }
  return planned.plan;
}

interface Planned {
  plan: Plan;
  /** What the next plan can start from; absent when the inputs cannot be compared by position. */
  basis?: PlanBasis;
  fromBasis: boolean;
}

/** One job's decision: its change (none for a job with nothing to say), the warnings it gave, whether it must be made again next time. */
interface JobDecision {
  change: JobChange | undefined;
  warnings: string[];
  volatile: boolean;
}

function basisInputs(input: PlanInput): BasisInputs {
  return {
    desired: input.desired,
    recorded: input.recorded,
    byJob: tasksByJob(input.observed, input.memo),
    retryHeld: input.retryHeld ?? false,
    prune: input.prune ?? true,
    backoff: input.backoff,
  };
}

function planInFull(next: BasisInputs, input: PlanInput): Planned {
  const desiredById = new Map(next.desired.map((job) => [job.id, job]));
  const recordedById = new Map(next.recorded.map((job) => [job.id, job]));
  const keys = [desiredById, recordedById, next.byJob];
  const ids = input.memo ? input.memo.jobIds(keys) : jobIds(keys);
  const changes: JobChange[] = [];
  const changeAt = new Map<JobId, number>();
  const warnings = new Map<JobId, readonly string[]>();
  const volatile = new Set<JobId>();
  for (const id of ids) {
    const decision = decide(id, desiredById.get(id), recordedById.get(id), next, input);
    if (decision.warnings.length > 0) warnings.set(id, decision.warnings);
    if (decision.volatile) volatile.add(id);
    if (!decision.change) continue;
    changeAt.set(id, changes.length);
    changes.push(decision.change);
  }
  const summary = Object.fromEntries(ACTIONS.map((action) => [action, 0])) as Plan['summary'];
  for (const change of changes) summary[change.action]++;
  const derived = { desiredById, recordedById, changes, changeAt, warnings, volatile, summary };
  // Duplicate ids cannot be compared position by position: such inputs are always planned in full.
  const comparable = desiredById.size === next.desired.length && recordedById.size === next.recorded.length;
  const plan = assemble(input, derived, next.byJob);
  return { plan, basis: comparable ? { ...next, ...derived } : undefined, fromBasis: false };
}

/**
 * The last plan with the changed jobs, and those whose decision read the time or warned,
 * planned again. Undefined when a job gains or loses its change (an undeclared job's tasks
 * came or went): the plan is then made in full.
 */
function planFromBasis(
  basis: PlanBasis,
  changed: ReadonlySet<JobId>,
  next: BasisInputs,
  input: PlanInput,
): Planned | undefined {
  // The basis is the memo's alone (`takeBasis`): it is brought up to date in place, and
  // one left half-way is dropped, since the plan is then made in full.
  const { desiredById, recordedById, changes, changeAt, summary, warnings } = basis;
  for (const job of next.desired) if (changed.has(job.id)) desiredById.set(job.id, job);
  for (const job of next.recorded) if (changed.has(job.id)) recordedById.set(job.id, job);
  const volatile = new Set<JobId>();
  for (const id of new Set([...changed, ...basis.volatile])) {
    const decision = decide(id, desiredById.get(id), recordedById.get(id), next, input);
    const at = changeAt.get(id);
    if (at === undefined || !decision.change) {
      if (at === undefined && !decision.change) continue;
      return undefined;
    }
    summary[changes[at]!.action]--;
    summary[decision.change.action]++;
    changes[at] = decision.change;
    if (decision.warnings.length > 0) warnings.set(id, decision.warnings);
    else warnings.delete(id);
    if (decision.volatile) volatile.add(id);
  }
  const derived = { desiredById, recordedById, changes, changeAt, warnings, volatile, summary };
  return { plan: assemble(input, derived, next.byJob), basis: { ...next, ...derived }, fromBasis: true };
}

/** The plan value from the per-job decisions; warnings in job order, as a full plan gives them. */
function assemble(
  input: PlanInput,
  derived: Pick<PlanBasis, 'changes' | 'changeAt' | 'warnings' | 'volatile' | 'summary'>,
  byJob: ReadonlyMap<JobId, readonly ObservedTask[]>,
): Plan {
  const { changes, summary } = derived;
  const result: Plan = {
    format_version: PLAN_FORMAT_VERSION,
    commit: input.commit,
    cluster: input.cluster,
    changes: [...changes], // the basis is updated in place by the next plan
    summary: { ...summary },
    warnings: [...derived.warnings.keys()].sort().flatMap((id) => derived.warnings.get(id)!),
  };
  const massKill = massKillCheck(changes, byJob);
  if (massKill) result.massKill = massKill;
  // Only a decision that read the time can defer a relaunch, and those are all volatile.
  const retries = [...derived.volatile].flatMap((id) => {
    const at = derived.changeAt.get(id);
    return at === undefined ? [] : changes[at]!.deferred.map((deferred) => deferred.retryAt);
  });
  if (retries.length > 0) result.nextWakeAt = Math.min(...retries);
  return result;
}

function decide(
  id: JobId,
  job: JobSpec | undefined,
  record: RecordedJob | undefined,
  next: BasisInputs,
  input: PlanInput,
): JobDecision {
  const tasks = tasksOf(next.byJob, id);
  const warnings: string[] = [];
  if (!job) {
    const change = planUndeclared(id, record, tasks, next.prune);
    // Kept in the basis and handed out by later plans, like a remembered decision.
    return { change: change && input.memo ? frozenChange(change) : change, warnings, volatile: false };
  }
  const inputs = { record, tasks, retryHeld: next.retryHeld, prune: next.prune };
  const { change, keepable } = planRemembered(job, inputs, input, warnings);
  return { change, warnings, volatile: !keepable };
}

/** A declared job: the change decided from the same inputs before, or a new decision. */
function planRemembered(
  job: JobSpec,
  inputs: JobInputs,
  input: PlanInput,
  warnings: string[],
): { change: JobChange; keepable: boolean } {
  const remembered = input.memo?.recall(job, inputs);
  if (remembered) return { change: remembered, keepable: true };
  const change = planDesired(job, inputs.record, inputs.tasks, input, warnings);
  // A relaunch reads the time and a warning must be given again: neither is kept.
  const keepable =
    change.instances.heal.length === 0 && change.deferred.length === 0 && warnings.length === 0;
  if (keepable) input.memo?.keep(job, inputs, change);
  return { change, keepable };
}

/** A job the commit does not declare: killed if Borealis applied it, an orphan otherwise. */
function planUndeclared(
  id: JobId,
  record: RecordedJob | undefined,
  tasks: readonly ObservedTask[],
  prune: boolean,
): JobChange | undefined {
  const active = tasks.filter((task) => !isTerminal(task.state));
  if (!record && (active.length === 0 || !prune)) return undefined;
  const change = emptyChange(id, record ? 'kill' : 'orphan');
  change.instances.remove = record ? uniqueSorted(active.map((task) => task.instance)) : [];
  change.killTasks = active.map((task) => task.taskId).sort();
  if (record) change.from = { configHash: record.configHash, instances: record.config.instances };
  return change;
}

/** A declared job, planned as it last rolled out while its update is held. */
function planDesired(
  job: JobSpec,
  record: RecordedJob | undefined,
  tasks: readonly ObservedTask[],
  input: PlanInput,
  warnings: string[],
): JobChange {
  const held = holdOf(job, record, input.retryHeld ?? false);
  if (!held || !record) return planDeclared(job, record, tasks, input, warnings);
  return { ...planDeclared(recordedSpec(job, record), record, tasks, input, warnings), held };
}

function planDeclared(
  job: JobSpec,
  record: RecordedJob | undefined,
  tasks: readonly ObservedTask[],
  input: PlanInput,
  warnings: string[],
): JobChange {
  const count = job.config.instances;
  const sets = classifyTasks(tasks, count, job.configHash);
  const change = emptyChange(job.id, 'noop');
  change.to = { configHash: job.configHash, instances: count };
  if (record) {
    change.from = { configHash: record.configHash, instances: record.config.instances };
    change.diff = diffConfigs(record.config, job.config);
  }
  const { excess, duplicate } = prunable(sets, record, count, input.prune ?? true);
  change.instances.remove = uniqueSorted(excess.map((task) => task.instance));
  change.killTasks = [...excess, ...duplicate].map((task) => task.taskId).sort();
  const history = groupBy(sets.terminal, (task) => task.instance);
  const refusal = refusalOf(job, sets.terminal);
  if (refusal) warnings.push(refusal);
  for (let instance = 0; instance < count; instance++) {
    const running = sets.byInstance.get(instance);
    if (running) {
      (running.configHash === job.configHash ? change.instances.unchanged : change.instances.update).push(
        instance,
      );
      continue;
    }
    if (refusal) continue; // nothing is launched with a configuration the cluster refused
    const ended = history.get(instance) ?? [];
    const isNew = record ? instance >= record.config.instances : ended.length === 0;
    if (isNew) change.instances.add.push(instance);
    else if (record && record.configHash !== job.configHash) change.instances.update.push(instance);
    else planRelaunch(job, instance, ended, input, change, warnings);
  }
  change.action = declaredAction(change, record, tasks);
  return change;
}

/** An instance that ran this configuration and is gone: relaunch it, wait, or leave it. */
function planRelaunch(
  job: JobSpec,
  instance: number,
  ended: readonly ObservedTask[],
  input: PlanInput,
  change: JobChange,
  warnings: string[],
): void {
  const sameConfig = ended.filter((task) => task.configHash === job.configHash);
  if (!job.config.service) {
    if (sameConfig.some((task) => task.state === 'FINISHED')) return; // a batch instance that succeeded stays finished
    const failures = sameConfig.filter((task) => task.state === 'FAILED' || task.state === 'LOST').length;
    const limit = job.config.max_task_failures;
    if (limit !== -1 && failures >= limit) {
      warnings.push(
        `${job.id}/${instance} failed ${failures} time(s), reaching max_task_failures (${limit}); not relaunched`,
      );
      return;
    }
  }
  const retryAt = relaunchAt(ended, input.now, input.backoff ?? DEFAULT_BACKOFF);
  if (retryAt <= input.now) change.instances.heal.push(instance);
  else change.deferred.push({ instance, retryAt } satisfies Deferred);
}

/**
 * The surplus tasks to kill. Without pruning only a scale-down Git asked for is carried
 * out (instances the applied configuration had); a task on an instance no applied commit
 * ever declared, or a duplicate, was started by someone else and is left running.
 */
function prunable(
  sets: TaskSets,
  record: RecordedJob | undefined,
  count: number,
  prune: boolean,
): Pick<TaskSets, 'excess' | 'duplicate'> {
  if (prune) return sets;
  const declaredBefore = record?.config.instances ?? count;
  return { excess: sets.excess.filter((task) => task.instance < declaredBefore), duplicate: [] };
}

/**
 * Why nothing may be launched with the job's configuration: its newest ended task was
 * refused by the cluster as invalid (Mesos TASK_ERROR). The same TaskInfo would be refused
 * again, for any instance, so the job waits for a new configuration: no retry storm.
 */
function refusalOf(job: JobSpec, ended: readonly ObservedTask[]): string | undefined {
  const latest = ended
    .filter((task) => task.configHash === job.configHash)
    .reduce<ObservedTask | undefined>(
      (newest, task) => (newest && newest.updatedAt >= task.updatedAt ? newest : task),
      undefined,
    );
  if (!latest || !isInvalidTask(latest)) return undefined;
  const why = latest.message ? ` (${latest.message})` : '';
  return `${job.id}: the cluster refused configuration ${job.configHash} as invalid${why}; nothing is launched with it until the job's configuration changes`;
}

function declaredAction(
  change: JobChange,
  record: RecordedJob | undefined,
  tasks: readonly ObservedTask[],
): Action {
  const { add, update, remove, heal } = change.instances;
  if (!record && tasks.length === 0) return 'create';
  if (update.length > 0 || change.diff.some((field) => field.path !== 'instances')) return 'update';
  if (add.length > 0 || remove.length > 0) return 'scale';
  if (heal.length > 0) return 'heal';
  if (change.killTasks.length > 0) return 'orphan';
  return 'noop';
}

function emptyChange(job: JobId, action: Action): JobChange {
  const instances: InstanceSets = { add: [], update: [], remove: [], heal: [], unchanged: [] };
  return { job, action, instances, killTasks: [], deferred: [], diff: [] };
}

function uniqueSorted(numbers: number[]): number[] {
  return [...new Set(numbers)].sort((a, b) => a - b);
}
