/**
 * The planner: a pure function from (desired, observed, recorded, now) to a frozen `Plan`,
 * written as the decision table it is (Nomad's scheduler reconciler is the model):
 *
 * 1. The sets: every job id the commit declares, a record names or a task carries, with
 *    its spec, its record and its tasks (`jobSets`).
 * 2. One decision per job (`decideJob`), one named case each:
 *    - declared cron, recorded cron, changed → reschedule: the next run uses it, nothing restarts
 *    - declared cron, recorded cron          → noop (or orphan: stray non-run tasks)
 *    - declared cron, otherwise              → schedule: the record is written, nothing launched;
 *                                              a service it was is killed
 *    - declared, update held after failing   → planned as it last rolled out (`held`)
 *    - declared                              → one decision per instance (below); a job that
 *                                              was cron is planned as a new one
 *    - not declared, recorded cron           → deschedule: a run in progress finishes
 *    - not declared, recorded                → kill: Borealis applied it, the commit dropped it
 *    - not declared, not recorded, live tasks → orphan, killed only when pruning
 *    - not declared, not recorded, otherwise → nothing to say
 * 3. One decision per declared instance (`decideInstance`): unchanged, update, add,
 *    refused, finished, failed too often, relaunch now (heal) or after its back-off (defer).
 * 4. The plan: the changes in job order, their summary, the warnings, the mass-kill
 *    verdict and the next wake-up (`assemblePlan`).
 *
 * Tasks of cron runs (`cronRun`) are the cron scheduler's: they are left out when tasks are
 * grouped per job (`groupTasks`), so no decision, and no mass-kill count, ever sees them.
 *
 * "When unsure, don't delete": the record is the inventory of what Borealis owns, so a job
 * missing from the commit is killed only if a record says Borealis applied it. A decision
 * reads nothing but its inputs and is frozen, so a caller may hand out the same decision
 * again while its inputs are the same objects (incremental.ts does).
 */
import { isInvalidTask, isTerminal, type ObservedTask } from '../cluster/types.js';
import type { JobId, JobSpec } from '../jobspec/types.js';
import { groupBy } from '../util/group-by.js';
import { DEFAULT_BACKOFF, relaunchAt, type BackoffPolicy } from './backoff.js';
import { classifyTasks, type TaskSets } from './classify.js';
import { diffConfigs } from './diff.js';
import { massKillCheck } from './guard.js';
import { holdOf, recordedSpec } from './held.js';
import { cronPlanOf, isCronJob } from './cron-plan.js';
import {
  ACTIONS,
  PLAN_FORMAT_VERSION,
  type Action,
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
}

/** What plans: the pure `plan` below, or the incremental planner a daemon keeps (incremental.ts). */
export type Planner = (input: PlanInput) => Plan;

/** One row of the sets: a job id and what is known of it; any of the three may be missing. */
export interface JobInputs {
  id: JobId;
  job: JobSpec | undefined;
  record: RecordedJob | undefined;
  tasks: readonly ObservedTask[];
}

/** The inputs every job's decision shares. */
export interface DecisionOptions {
  now: number;
  backoff: BackoffPolicy;
  retryHeld: boolean;
  prune: boolean;
}

/** One job's decision: its change (none for a job with nothing to say) and the warnings it gave. */
export interface JobDecision {
  readonly change: JobChange | undefined;
  readonly warnings: readonly string[];
  /**
   * Set when the decision read the clock for a cron job's next runs: with the same inputs it
   * stands for every `now` from the one it was made at up to this one (excluded).
   */
  readonly standsUntil?: number;
}

/** The sets, a decision per job, the plan. */
export function plan(input: PlanInput): Plan {
  const byJob = groupTasks(input.observed);
  const options = decisionOptions(input);
  const decisions = jobSets(input.desired, input.recorded, byJob).map((job) => decideJob(job, options));
  return assemblePlan(input, decisions, byJob);
}

export function decisionOptions(input: PlanInput): DecisionOptions {
  return {
    now: input.now,
    backoff: input.backoff ?? DEFAULT_BACKOFF,
    retryHeld: input.retryHeld ?? false,
    prune: input.prune ?? true,
  };
}

// ---- 1. The sets -------------------------------------------------------------------------

/** Each job's tasks, but for those of cron runs: the cron scheduler's, not the planner's. */
export function groupTasks(observed: readonly ObservedTask[]): Map<JobId, readonly ObservedTask[]> {
  return groupBy(observed, (task) => (task.cronRun === undefined ? task.jobId : undefined));
}

const NO_TASKS: readonly ObservedTask[] = Object.freeze([]);

/** Every job id the commit, the records or the tasks name, in id order, with what each says of it. */
export function jobSets(
  desired: readonly JobSpec[],
  recorded: readonly RecordedJob[],
  byJob: ReadonlyMap<JobId, readonly ObservedTask[]>,
): JobInputs[] {
  const desiredById = new Map(desired.map((job) => [job.id, job]));
  const recordedById = new Map(recorded.map((record) => [record.id, record]));
  const ids = new Set([...desiredById.keys(), ...recordedById.keys(), ...byJob.keys()]);
  return [...ids].sort().map((id) => ({
    id,
    job: desiredById.get(id),
    record: recordedById.get(id),
    tasks: byJob.get(id) ?? NO_TASKS,
  }));
}

// ---- 2. One decision per job -------------------------------------------------------------

/** One row of the table: the first case that matches the job decides it. */
export function decideJob(inputs: JobInputs, options: DecisionOptions): JobDecision {
  const { id, job, tasks } = inputs;
  const cronRecord = inputs.record && isCronJob(inputs.record.config) ? inputs.record : undefined;
  if (job && isCronJob(job.config))
    return cronJob(job, inputs.record, cronRecord !== undefined, tasks, options);
  // A job that was cron and is no longer: its runs finish on their own; it starts anew.
  const record = cronRecord ? undefined : inputs.record;
  if (job) {
    const held = holdOf(job, record, options.retryHeld);
    if (held && record) return heldJob(job, record, tasks, options, held);
    return declaredJob(job, record, tasks, options);
  }
  const live = tasks.filter((task) => !isTerminal(task.state));
  if (cronRecord) return decided(descheduledJob(id, cronRecord, live));
  if (record) return decided(droppedJob(id, record, live));
  if (live.length > 0 && options.prune) return decided(orphanedJob(id, live));
  return NOTHING_TO_SAY;
}

const NOTHING_TO_SAY: JobDecision = Object.freeze({ change: undefined, warnings: Object.freeze([]) });

/** Held after a failed update: planned as it last rolled out, at the instance count Git asks for. */
function heldJob(
  job: JobSpec,
  record: RecordedJob,
  tasks: readonly ObservedTask[],
  options: DecisionOptions,
  held: NonNullable<JobChange['held']>,
): JobDecision {
  const { change, warnings } = declaredChange(recordedSpec(job, record), record, tasks, options);
  return decided({ ...change, held }, warnings);
}

function declaredJob(
  job: JobSpec,
  record: RecordedJob | undefined,
  tasks: readonly ObservedTask[],
  options: DecisionOptions,
): JobDecision {
  const { change, warnings } = declaredChange(job, record, tasks, options);
  return decided(change, warnings);
}

/** Applied by Borealis and no longer declared: every live task is killed. */
function droppedJob(id: JobId, record: RecordedJob, live: readonly ObservedTask[]): JobChange {
  const change = emptyChange(id, 'kill');
  change.instances.remove = uniqueSorted(live.map((task) => task.instance));
  change.killTasks = live.map((task) => task.taskId).sort();
  change.from = { configHash: record.configHash, instances: record.config.instances };
  return change;
}

/**
 * A declared cron job. Its record is what the cron scheduler reads, so a new or changed job
 * only needs it written: nothing is launched now, and a run in progress goes on. Live tasks
 * that are no run's (the service the job was) are killed.
 */
function cronJob(
  job: JobSpec,
  record: RecordedJob | undefined,
  wasCron: boolean,
  tasks: readonly ObservedTask[],
  options: DecisionOptions,
): JobDecision {
  const strays = strayTasks(tasks, record, wasCron, options.prune);
  const diff = record ? diffConfigs(record.config, job.config) : [];
  const changed = diff.length > 0 || record?.configHash !== job.configHash;
  const action: Action = !wasCron
    ? 'schedule'
    : changed
      ? 'reschedule'
      : strays.length > 0
        ? 'orphan'
        : 'noop';
  const change = emptyChange(job.id, action);
  change.instances.remove = uniqueSorted(strays.map((task) => task.instance));
  change.killTasks = strays.map((task) => task.taskId).sort();
  change.diff = diff;
  if (record) change.from = { configHash: record.configHash, instances: record.config.instances };
  change.to = { configHash: job.configHash, instances: job.config.instances };
  change.cron = cronPlanOf(job.config, options.now);
  const [next] = change.cron?.nextRuns ?? [];
  // The next runs change when the first of them passes; a paused job's read no clock.
  const standsUntil = job.config.cron_paused ? undefined : (next ?? options.now);
  return decided(change, [], standsUntil);
}

/**
 * A cron job's live tasks that belong to no run: those of the service or batch job it was
 * (killed: Borealis applied them), and otherwise tasks someone else started (killed only
 * when pruning).
 */
function strayTasks(
  tasks: readonly ObservedTask[],
  record: RecordedJob | undefined,
  wasCron: boolean,
  prune: boolean,
): ObservedTask[] {
  const live = tasks.filter((task) => !isTerminal(task.state));
  if (prune) return live;
  const applied = record && !wasCron ? record.config.instances : 0;
  return live.filter((task) => task.instance < applied);
}

/** A cron job no longer declared: the scheduler stops scheduling it; a run in progress finishes. */
function descheduledJob(id: JobId, record: RecordedJob, live: readonly ObservedTask[]): JobChange {
  const change = emptyChange(id, 'deschedule');
  change.instances.remove = uniqueSorted(live.map((task) => task.instance));
  change.killTasks = live.map((task) => task.taskId).sort();
  change.from = { configHash: record.configHash, instances: record.config.instances };
  change.cron = cronPlanOf(record.config, 0, false);
  return change;
}

/** Tasks of a job nothing declares or records: not Borealis's, killed only when pruning. */
function orphanedJob(id: JobId, live: readonly ObservedTask[]): JobChange {
  const change = emptyChange(id, 'orphan');
  change.killTasks = live.map((task) => task.taskId).sort();
  return change;
}

// ---- 3. One decision per declared instance -----------------------------------------------

type InstanceDecision =
  | { case: 'unchanged' | 'update' | 'add' | 'heal' | 'refused' | 'finished' }
  | { case: 'defer'; retryAt: number }
  | { case: 'failed too often'; warning: string };

const UNCHANGED = { case: 'unchanged' } as const;
const UPDATE = { case: 'update' } as const;
const ADD = { case: 'add' } as const;
const HEAL = { case: 'heal' } as const;
const REFUSED = { case: 'refused' } as const;
const FINISHED = { case: 'finished' } as const;

/** What one declared instance needs, first matching row wins. */
function decideInstance(instance: number, job: DeclaredJob): InstanceDecision {
  const { spec, record } = job;
  const running = job.sets.byInstance.get(instance);
  if (running) return running.configHash === spec.configHash ? UNCHANGED : UPDATE;
  // Nothing is launched with a configuration the cluster refused.
  if (job.refusal) return REFUSED;
  const ended = job.history.get(instance) ?? [];
  const isNew = record ? instance >= record.config.instances : ended.length === 0;
  if (isNew) return ADD;
  if (record && record.configHash !== spec.configHash) return UPDATE;
  return decideRelaunch(instance, ended, job);
}

/** An instance that ran this configuration and is gone: relaunch it, wait, or leave it. */
function decideRelaunch(
  instance: number,
  ended: readonly ObservedTask[],
  job: DeclaredJob,
): InstanceDecision {
  const { spec, options } = job;
  const sameConfig = ended.filter((task) => task.configHash === spec.configHash);
  if (!spec.config.service) {
    // A batch instance that succeeded stays finished; one that failed too often stays failed.
    if (sameConfig.some((task) => task.state === 'FINISHED')) return FINISHED;
    const failures = sameConfig.filter((task) => task.state === 'FAILED' || task.state === 'LOST').length;
    const limit = spec.config.max_task_failures;
    if (limit !== -1 && failures >= limit) {
      const warning = `${spec.id}/${instance} failed ${failures} time(s), reaching max_task_failures (${limit}); not relaunched`;
      return { case: 'failed too often', warning };
    }
  }
  const retryAt = relaunchAt(ended, options.now, options.backoff);
  return retryAt <= options.now ? HEAL : { case: 'defer', retryAt };
}

/** A declared job as its instances' decisions read it. */
interface DeclaredJob {
  spec: JobSpec;
  record: RecordedJob | undefined;
  options: DecisionOptions;
  sets: TaskSets;
  /** The ended tasks of each instance. */
  history: Map<number, ObservedTask[]>;
  refusal: string | undefined;
}

function declaredChange(
  spec: JobSpec,
  record: RecordedJob | undefined,
  tasks: readonly ObservedTask[],
  options: DecisionOptions,
): { change: JobChange; warnings: string[] } {
  const count = spec.config.instances;
  const sets = classifyTasks(tasks, count, spec.configHash);
  const change = emptyChange(spec.id, 'noop');
  change.to = { configHash: spec.configHash, instances: count };
  if (record) {
    change.from = { configHash: record.configHash, instances: record.config.instances };
    change.diff = diffConfigs(record.config, spec.config);
  }
  const { excess, duplicate } = prunable(sets, record, count, options.prune);
  change.instances.remove = uniqueSorted(excess.map((task) => task.instance));
  change.killTasks = [...excess, ...duplicate].map((task) => task.taskId).sort();
  const refusal = refusalOf(spec, sets.terminal);
  const warnings = refusal ? [refusal] : [];
  const history = groupBy(sets.terminal, (task) => task.instance);
  const job: DeclaredJob = { spec, record, options, sets, history, refusal };
  for (let instance = 0; instance < count; instance++) {
    const decision = decideInstance(instance, job);
    switch (decision.case) {
      case 'defer':
        change.deferred.push({ instance, retryAt: decision.retryAt });
        break;
      case 'failed too often':
        warnings.push(decision.warning);
        break;
      case 'refused':
      case 'finished':
        break;
      default:
        change.instances[decision.case].push(instance);
    }
  }
  change.action = declaredAction(change, record, tasks);
  return { change, warnings };
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

// ---- 4. The plan -------------------------------------------------------------------------

/** The plan from the decisions of every job, in job order. */
export function assemblePlan(
  input: Pick<PlanInput, 'commit' | 'cluster'>,
  decisions: readonly JobDecision[],
  byJob: ReadonlyMap<JobId, readonly ObservedTask[]>,
): Plan {
  const changes: JobChange[] = [];
  const warnings: string[] = [];
  const summary = Object.fromEntries(ACTIONS.map((action) => [action, 0])) as Plan['summary'];
  let nextWakeAt = Infinity;
  for (const { change, warnings: given } of decisions) {
    warnings.push(...given);
    if (!change) continue;
    changes.push(change);
    summary[change.action]++;
    for (const { retryAt } of change.deferred) nextWakeAt = Math.min(nextWakeAt, retryAt);
  }
  const result: Plan = {
    format_version: PLAN_FORMAT_VERSION,
    commit: input.commit,
    cluster: input.cluster,
    changes: Object.freeze(changes) as JobChange[],
    summary: Object.freeze(summary),
    warnings: Object.freeze(warnings) as string[],
  };
  const massKill = massKillCheck(changes, byJob);
  if (massKill) result.massKill = Object.freeze(massKill);
  if (nextWakeAt !== Infinity) result.nextWakeAt = nextWakeAt;
  return Object.freeze(result);
}

// ---- Values ------------------------------------------------------------------------------

/** A decision is shared by every plan that reuses it: nothing may alter it. */
function decided(change: JobChange, warnings: readonly string[] = [], standsUntil?: number): JobDecision {
  for (const list of Object.values(change.instances)) Object.freeze(list);
  Object.freeze(change.instances);
  Object.freeze(change.killTasks);
  Object.freeze(change.deferred);
  Object.freeze(change.diff);
  if (change.cron) Object.freeze(Object.freeze(change.cron).nextRuns);
  const decision = { change: Object.freeze(change), warnings: Object.freeze(warnings) };
  return Object.freeze(standsUntil === undefined ? decision : { ...decision, standsUntil });
}

function emptyChange(job: JobId, action: Action): JobChange {
  const instances: InstanceSets = { add: [], update: [], remove: [], heal: [], unchanged: [] };
  return { job, action, instances, killTasks: [], deferred: [], diff: [] };
}

function uniqueSorted(numbers: number[]): number[] {
  return [...new Set(numbers)].sort((a, b) => a - b);
}
