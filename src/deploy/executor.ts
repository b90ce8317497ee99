/**
 * Carries out a plan through the `Cluster` port. Creates and updates roll first (all jobs'
 * rollouts advance together, each at its own batch pace), lost instances are relaunched
 * alongside, and kills come last, so a commit that replaces one job with another never
 * leaves a gap. Each rollout's state is saved before the actions it decides are taken.
 * Cron jobs launch nothing: their record, which the cron scheduler reads, is written (or
 * deleted) once the tasks that are no run's are gone; the runs are the scheduler's.
 */
import type { Cluster, ObservedTask, TaskLaunch } from '../cluster/types.js';
import type { HeldUpdate, JobChange, Plan, RecordedJob } from '../plan/types.js';
import type { Records } from '../state/records.js';
import type { JobId, JobSpec } from '../jobspec/types.js';
import { effectiveSpec, releasedHolds } from '../plan/held.js';
import { isCronJob } from '../plan/cron-plan.js';
import { describeSchedule } from '../plan/describe.js';
import { needsRollout, newRollout } from './new-rollout.js';
import {
  canYield,
  inFlightActions,
  isFinished,
  stepRollout,
  type RolloutAction,
  type RolloutEvent,
  type RolloutState,
  type RolloutStep,
} from './rollout.js';
import { groupBy } from '../util/group-by.js';
import { rolloutProgress, type RolloutProgress } from './rollout-progress.js';
import { newTaskId } from './task-ids.js';
import { nextUpdateOrTimeout, waitUntilEnded } from './wait.js';

export type JobResult = 'succeeded' | 'failed' | 'rolled_back';

export interface JobOutcome {
  job: JobId;
  action: JobChange['action'];
  result: JobResult;
  message?: string;
}

export interface DeployProgress {
  job: JobId;
  instance?: number;
  /** `ROLLOUT_PHASE`: the rollout moved to another phase (`rollout.phase`) without an instance event. */
  event:
    | RolloutEvent
    | 'LAUNCHED'
    | 'KILLING'
    | 'KILLED'
    | 'ROLLOUT_PHASE'
    | 'ROLLOUT_FINISHED'
    | 'SCHEDULED'
    | 'DESCHEDULED';
  detail?: string;
  /** Where the job's rollout stands after this event. */
  rollout?: RolloutProgress;
}

export interface DeployOptions {
  cluster: Cluster;
  records: Records;
  now?: () => number;
  /** Longest wait between two looks at the cluster when no update arrives. */
  pollMs?: number;
  onProgress?: (progress: DeployProgress) => void;
  signal?: AbortSignal;
  /**
   * Asked between steps. `boundary`: a newer commit waits, so stop once no instance is
   * between its old and new task (see `canYield`); `now`: the reconciler is shutting down, stop after the current step. Either
   * way the saved rollouts stay, and the next pass resumes or supersedes them.
   */
  halt?: () => HaltRequest;
  /** Called with task ids just before they are killed (service announcements are withdrawn first). */
  beforeKill?: (taskIds: string[]) => Promise<void>;
}

export type HaltRequest = 'no' | 'boundary' | 'now';

export interface DeployResult {
  outcomes: JobOutcome[];
  /** Whether every job reached its desired state. */
  ok: boolean;
  /** Jobs whose rollout was stopped by a halt request before it finished. */
  interrupted: JobId[];
}

export async function executePlan(
  plan: Plan,
  desired: readonly JobSpec[],
  options: DeployOptions,
): Promise<DeployResult> {
  const now = options.now ?? Date.now;
  const recorded = new Map((await options.records.jobs()).map((job) => [job.id, job]));
  const changes = new Map(plan.changes.map((change) => [change.job, change]));
  // A held job is carried out as it last rolled out, so its heals relaunch what it runs.
  const jobs = new Map(
    desired.map((job) => [job.id, effectiveSpec(job, recorded.get(job.id), changes.get(job.id))]),
  );
  const rollouts = await prepareRollouts(plan, jobs, recorded, options, now());
  const outcomes: JobOutcome[] = [];
  await healInstances(plan, jobs, options);
  outcomes.push(...(await applyCronChanges(plan, jobs, options, now)));
  outcomes.push(...(await recordConfigOnlyChanges(plan, jobs, recorded, rollouts, options, now())));
  outcomes.push(...(await driveRollouts(rollouts, plan, jobs, options, now)));
  const interrupted = [...rollouts.keys()];
  if (interrupted.length > 0) return { outcomes, ok: false, interrupted };
  outcomes.push(...(await killUndeclared(plan, options)));
  await options.records.setApplied(plan.commit, now());
  return { outcomes, ok: outcomes.every((outcome) => outcome.result === 'succeeded'), interrupted };
}

/**
 * Removes the saved rollouts no pass of `commit` will resume: finished ones (a reconciler
 * killed after recording the job and before removing its rollout) and those of other
 * commits. A plan with nothing to change is never executed, so without this they would
 * stay in flight for ever.
 */
export async function clearSettledRollouts(records: Records, commit: string): Promise<void> {
  for (const state of await records.rollouts())
    if (!resumableBy(state, commit)) await records.deleteRollout(state.jobId);
}

/**
 * Ends the holds a plan with nothing to carry out leaves behind (the commit reverted the
 * held configuration): each such job is recorded as in sync with `plan.commit`.
 */
export async function releaseObsoleteHolds(
  plan: Plan,
  desired: readonly JobSpec[],
  records: Records,
  at: number,
): Promise<void> {
  for (const job of releasedHolds(plan, desired, await records.jobs()))
    await records.putJob(recordOf(job, plan.commit, at));
}

/** A saved rollout a pass of `commit` carries on with: one of that commit, not yet finished. */
function resumableBy(state: RolloutState, commit: string): boolean {
  return state.commit === commit && !isFinished(state);
}

/** Starts a rollout for each changed job, or resumes the one saved for the same commit and target. */
async function prepareRollouts(
  plan: Plan,
  jobs: Map<JobId, JobSpec>,
  recorded: Map<JobId, RecordedJob>,
  options: DeployOptions,
  at: number,
): Promise<Map<JobId, RolloutState>> {
  const saved = new Map((await options.records.rollouts()).map((state) => [state.jobId, state]));
  const rollouts = new Map<JobId, RolloutState>();
  for (const [id, state] of saved) {
    const job = jobs.get(id);
    if (job && resumableBy(state, plan.commit)) {
      // The time no reconciler drove it does not count against its progress deadline.
      const resumed = { ...state, resumedAt: at };
      await options.records.putRollout(resumed);
      rollouts.set(id, resumed);
      await perform(inFlightActions(resumed), job, plan.commit, options);
    } else await options.records.deleteRollout(id); // superseded by this commit
  }
  for (const change of plan.changes) {
    const job = jobs.get(change.job);
    if (!job || rollouts.has(change.job) || !needsRollout(change)) continue;
    // A job that was cron starts anew: what it ran was runs, not instances to roll back to.
    const record = recorded.get(change.job);
    const previous = record && !isCronJob(record.config) ? record : undefined;
    const state = newRollout(change, job, previous, plan.commit, at);
    await options.records.putRollout(state);
    rollouts.set(change.job, state);
  }
  return rollouts;
}

async function healInstances(plan: Plan, jobs: Map<JobId, JobSpec>, options: DeployOptions): Promise<void> {
  const launches: TaskLaunch[] = plan.changes.flatMap((change) => {
    const job = jobs.get(change.job);
    if (!job) return [];
    return change.instances.heal.map((instance) =>
      launchOf(job, instance, newTaskId(job.key, instance), job.configHash, job.instance, plan.commit),
    );
  });
  if (launches.length > 0) await options.cluster.launch(launches);
  for (const launch of launches)
    options.onProgress?.({
      job: launch.jobId,
      instance: launch.instance,
      event: 'LAUNCHED',
      detail: 'relaunched lost instance',
    });
}

const CRON_ACTIONS: ReadonlySet<JobChange['action']> = new Set(['schedule', 'reschedule', 'deschedule']);

const isCronChange = (change: JobChange): boolean => CRON_ACTIONS.has(change.action);

/**
 * Schedules, reschedules and deschedules: the tasks that are no run's (the service the job
 * was) are killed first, then the record is written (the scheduler runs the job from it) or
 * deleted (the scheduler stops). A crash in between leaves the plan to be made again.
 */
async function applyCronChanges(
  plan: Plan,
  jobs: Map<JobId, JobSpec>,
  options: DeployOptions,
  now: () => number,
): Promise<JobOutcome[]> {
  const changes = plan.changes.filter(isCronChange);
  const killing = changes.filter((change) => change.killTasks.length > 0);
  await killAndWait(
    changes.flatMap((change) => change.killTasks),
    killing,
    options,
  );
  for (const change of killing) toldKilled(change, options);
  const outcomes: JobOutcome[] = [];
  for (const change of changes) {
    const job = jobs.get(change.job);
    if (change.action === 'deschedule') await options.records.deleteJob(change.job);
    else if (job) await options.records.putJob(recordOf(job, plan.commit, now()));
    else continue;
    const schedule = change.cron ? describeSchedule(change.cron) : undefined;
    const event = change.action === 'deschedule' ? 'DESCHEDULED' : 'SCHEDULED';
    options.onProgress?.({ job: change.job, event, detail: schedule });
    outcomes.push({ job: change.job, action: change.action, result: 'succeeded' });
  }
  return outcomes;
}

/** A changed job with nothing to restart (e.g. only update_config changed): record the new config. */
async function recordConfigOnlyChanges(
  plan: Plan,
  jobs: Map<JobId, JobSpec>,
  recorded: Map<JobId, RecordedJob>,
  rollouts: Map<JobId, RolloutState>,
  options: DeployOptions,
  at: number,
): Promise<JobOutcome[]> {
  const outcomes: JobOutcome[] = [];
  for (const change of plan.changes) {
    const job = jobs.get(change.job);
    // A held job's record stays as it is; a cron job's was written when it was scheduled.
    if (!job || rollouts.has(change.job) || change.held || isCronChange(change)) continue;
    const record = recorded.get(job.id);
    // No record yet, or one whose hold no longer applies: the desired configuration changed.
    const recordNeeded = change.action !== 'noop' || !record || record.held !== undefined;
    if (recordNeeded) await options.records.putJob(recordOf(job, plan.commit, at));
    if (change.action !== 'noop') outcomes.push({ job: job.id, action: change.action, result: 'succeeded' });
  }
  return outcomes;
}

async function driveRollouts(
  rollouts: Map<JobId, RolloutState>,
  plan: Plan,
  jobs: Map<JobId, JobSpec>,
  options: DeployOptions,
  now: () => number,
): Promise<JobOutcome[]> {
  const outcomes: JobOutcome[] = [];
  const changeOf = new Map(plan.changes.map((change) => [change.job, change]));
  const phases = new Map<JobId, string>();
  while (rollouts.size > 0 && !options.signal?.aborted) {
    const halt = options.halt?.() ?? 'no';
    if (halt === 'now') break;
    const observed = groupByJob(await options.cluster.snapshot(), rollouts);
    let wakeAt = now() + (options.pollMs ?? 1_000);
    for (const [id, state] of rollouts) {
      const job = jobs.get(id)!;
      const step = stepRollout(state, observed.get(id) ?? [], {
        now: now(),
        newTaskId: (instance) => newTaskId(job.key, instance),
        yielding: halt === 'boundary',
      });
      await options.records.putRollout(step.state);
      rollouts.set(id, step.state);
      await perform(step.actions, job, plan.commit, options);
      reportStep(id, step, observed.get(id) ?? [], phases, options);
      if (step.wakeAt !== undefined) wakeAt = Math.min(wakeAt, step.wakeAt);
      if (isFinished(step.state)) {
        outcomes.push(await finishRollout(step.state, job, changeOf.get(id), options, now()));
        rollouts.delete(id);
      }
    }
    const yielding = [...rollouts].every(([id, state]) => canYield(state, observed.get(id) ?? []));
    if (halt === 'boundary' && yielding) break;
    if (rollouts.size > 0) await nextUpdateOrTimeout(options.cluster, wakeAt - now(), options.signal);
  }
  return outcomes;
}

/** The step's instance events, each with where the rollout stands, or its new phase alone. */
function reportStep(
  job: JobId,
  step: RolloutStep,
  tasks: readonly ObservedTask[],
  phases: Map<JobId, string>,
  options: DeployOptions,
): void {
  const rollout = rolloutProgress(step.state, tasks);
  for (const event of step.events) options.onProgress?.({ job, ...event, rollout });
  // A finished rollout is told by ROLLOUT_FINISHED.
  const quietChange = step.events.length === 0 && phases.has(job) && phases.get(job) !== rollout.phase;
  if (quietChange && !isFinished(step.state))
    options.onProgress?.({ job, event: 'ROLLOUT_PHASE', detail: rollout.phase, rollout });
  phases.set(job, rollout.phase);
}

async function finishRollout(
  state: RolloutState,
  job: JobSpec,
  change: JobChange | undefined,
  options: DeployOptions,
  at: number,
): Promise<JobOutcome> {
  const rollout = rolloutProgress(state, []);
  options.onProgress?.({ job: job.id, event: 'ROLLOUT_FINISHED', detail: state.status, rollout });
  const action = change?.action ?? 'update';
  if (state.status === 'ROLLED_FORWARD') {
    // A held job rolled out its recorded configuration (a scale): the failed one stays held,
    // and the configuration is still the one an earlier commit applied.
    const held = change?.held;
    const commit = held ? ((await options.records.job(job.id))?.commit ?? state.commit) : state.commit;
    await options.records.putJob(recordOf(job, commit, at, held));
    await options.records.deleteRollout(job.id);
    return { job: job.id, action, result: 'succeeded' };
  }
  const failed = state.instances.filter((p) => p.status === 'failed').map((p) => p.instance);
  const outcome: JobOutcome =
    state.status === 'ROLLED_BACK'
      ? { job: job.id, action, result: 'rolled_back', message: 'update failed and was rolled back' }
      : {
          job: job.id,
          action,
          result: 'failed',
          message: `instances failed: ${failed.join(', ') || 'none'}`,
        };
  await holdFailedUpdate(job, state, outcome, options, at);
  await options.records.deleteRollout(job.id);
  return outcome;
}

/** A failed update of a running job is held, so resyncs do not try it again and again. */
async function holdFailedUpdate(
  job: JobSpec,
  state: RolloutState,
  outcome: JobOutcome,
  options: DeployOptions,
  at: number,
): Promise<void> {
  const record = await options.records.job(job.id);
  // A failed create (of a job new, or that was cron) heals with back-off instead.
  if (!record || record.configHash === job.configHash || isCronJob(record.config)) return;
  const held: HeldUpdate =
    outcome.result === 'rolled_back'
      ? { configHash: job.configHash, commit: state.commit, outcome: 'rolled_back', at }
      : { configHash: job.configHash, commit: state.commit, outcome: 'failed', at, reason: outcome.message };
  await options.records.putJob({ ...record, held });
}

async function perform(
  actions: RolloutAction[],
  job: JobSpec,
  commit: string,
  options: DeployOptions,
): Promise<void> {
  const kills = actions.filter((a) => a.kind === 'kill').map((a) => a.taskId);
  const launches = actions.flatMap((a) =>
    a.kind === 'launch'
      ? [launchOf(job, a.instance, a.taskId, a.version.configHash, a.version.config, commit)]
      : [],
  );
  if (kills.length > 0) await killTasks(kills, options);
  if (launches.length > 0) await options.cluster.launch(launches);
}

/**
 * Kills last: jobs the commit dropped, orphans, duplicates (and excess instances, which
 * their rollout has already killed; killing twice is harmless). Waits until they ended.
 */
async function killUndeclared(plan: Plan, options: DeployOptions): Promise<JobOutcome[]> {
  const rest = plan.changes.filter((change) => !isCronChange(change));
  const killing = rest.filter((c) => c.action === 'kill' || c.action === 'orphan');
  await killAndWait(
    rest.flatMap((change) => change.killTasks),
    killing,
    options,
  );
  const outcomes: JobOutcome[] = [];
  for (const change of killing) {
    if (change.action === 'kill') await options.records.deleteJob(change.job);
    toldKilled(change, options);
    outcomes.push({ job: change.job, action: change.action, result: 'succeeded' });
  }
  return outcomes;
}

/** Kills `taskIds` and waits until they ended, telling `told` changes' kills as they start. */
async function killAndWait(
  taskIds: string[],
  told: readonly JobChange[],
  options: DeployOptions,
): Promise<void> {
  for (const change of told) {
    const rollout = { done: 0, total: change.killTasks.length, phase: 'killing' };
    options.onProgress?.({ job: change.job, event: 'KILLING', detail: tasksCount(change), rollout });
  }
  if (taskIds.length > 0) await killTasks(taskIds, options);
  const killed = new Set(taskIds);
  if (killed.size > 0)
    await waitUntilEnded(
      options.cluster,
      (task) => killed.has(task.taskId),
      options.pollMs ?? 1_000,
      options.signal,
    );
}

function toldKilled(change: JobChange, options: DeployOptions): void {
  const rollout = { done: change.killTasks.length, total: change.killTasks.length, phase: 'killed' };
  options.onProgress?.({ job: change.job, event: 'KILLED', detail: tasksCount(change), rollout });
}

const tasksCount = (change: JobChange) => `${change.killTasks.length} task(s)`;

async function killTasks(taskIds: string[], options: DeployOptions): Promise<void> {
  await options.beforeKill?.(taskIds);
  await options.cluster.kill(taskIds);
}

function launchOf(
  job: JobSpec,
  instance: number,
  taskId: string,
  configHash: string,
  config: JobSpec['instance'],
  commit: string,
): TaskLaunch {
  return { taskId, jobId: job.id, key: job.key, instance, configHash, commit, config };
}

function recordOf(job: JobSpec, commit: string, at: number, held?: HeldUpdate): RecordedJob {
  const record: RecordedJob = {
    id: job.id,
    commit,
    config: job.config,
    configHash: job.configHash,
    appliedAt: at,
  };
  if (held) record.held = held;
  return record;
}

/** The tasks of the jobs rolling out only: each poll scans a snapshot of the whole cluster. */
function groupByJob(
  tasks: readonly ObservedTask[],
  jobs: ReadonlyMap<JobId, unknown>,
): Map<JobId, ObservedTask[]> {
  // A cron run's tasks are the cron scheduler's, even of a job that is no longer cron.
  return groupBy(tasks, (task) =>
    jobs.has(task.jobId) && task.cronRun === undefined ? task.jobId : undefined,
  );
}
