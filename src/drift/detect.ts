/**
 * Drift: what runs that the applied commit did not ask for, as a pure function of the
 * applied jobs, the records, the in-flight rollouts and the cluster's tasks. Every drift
 * has a stable identity (`kind:job[/instance]`), so the tracker can tell a drift that
 * persists from a new one and announce each once.
 *
 * Detection is deliberately two-sided. A drift is *present* when its condition is clearly
 * met and *absent* when it is clearly over; in between (an instance whose replacement is
 * still starting, an instance running but not yet for `settleMs`) it is *pending*, and an
 * open drift stays open while a closed one stays closed. That hysteresis is what keeps a
 * crash-looping instance from producing a message per restart, and a restarted reconciler
 * (whose tasks are STARTING until reconciled) from announcing anything.
 *
 * Ends Borealis caused (a task it killed for an update, a scale-down, a removed job,
 * `borealis local down`: `killRequested`) are not drift. They never count toward
 * `flapping`, and an instance whose last task Borealis stopped is not `missing` until it
 * has stayed without a task for `settleMs` while the daemon watched: the next pass
 * relaunches it quietly, and only a relaunch that does not happen is worth a message.
 *
 * Tasks of cron runs are the cron scheduler's: a run that ended is no missing instance, runs
 * that end are no flapping, and a run of a job no longer declared (descheduled, finishing)
 * is not unexpected. A cron job has no instances between its runs, so nothing of it is
 * missing; a live task of it that no run started is unexpected.
 */
import { endedOnItsOwn, isTerminal, type ObservedTask } from '../cluster/types.js';
import { isInFlight, lastProgress, type RolloutState } from '../deploy/rollout.js';
import { isCronJob } from '../plan/cron-plan.js';
import type { RecordedJob } from '../plan/types.js';
import type { DriftKind } from '../notify/events.js';
import type { JobSpec } from '../jobspec/types.js';
import type { CronJobState } from '../cron/types.js';
import { groupBy } from '../util/group-by.js';

export interface DriftPolicy {
  /** More terminations than this within `flapWindowMs` make an instance flapping. */
  flapThreshold: number;
  flapWindowMs: number;
  /** How long an instance must be RUNNING (and not unhealthy) before it counts as back. */
  settleMs: number;
  /** A rolling update that has moved no instance along for this long is stuck. */
  stuckAfterMs: number;
}

export const DEFAULT_DRIFT_POLICY: DriftPolicy = {
  flapThreshold: 3,
  flapWindowMs: 10 * 60_000,
  settleMs: 10_000,
  stuckAfterMs: 15 * 60_000,
};

export interface Drift {
  id: string;
  kind: DriftKind;
  job: string;
  instance?: number;
  detail: string;
  /** Epoch ms the drift began, as far as the observations tell. */
  since: number;
}

export interface DriftInput {
  /** The applied commit's jobs for this cluster; undefined before anything was applied. */
  desired: readonly JobSpec[] | undefined;
  recorded: readonly RecordedJob[];
  rollouts: readonly RolloutState[];
  observed: readonly ObservedTask[];
  /** The branch head when it is not the applied commit, and why it is not. */
  waiting?: { commit: string; detail: string; since: number };
  now: number;
  /**
   * Epoch ms this observer started watching. An instance Borealis stopped before then (a
   * daemon started after `borealis local down`) counts as stopped from then on.
   */
  watchingSince?: number;
  policy: DriftPolicy;
  /** The cron scheduler's records (`cron/*`), for missed runs. */
  cron?: readonly CronJobState[];
}

export interface Detection {
  /** Drifts whose condition holds now. */
  present: Drift[];
  /** Identities neither clearly present nor clearly over: leave them as they are. */
  pending: string[];
  /** When a pending drift can next be decided (a task that will have settled by then). */
  recheckAt?: number;
}

export const driftId = (kind: DriftKind, job: string, instance?: number): string =>
  `${kind}:${job}${instance === undefined ? '' : `/${instance}`}`;

export function detectDrift(input: DriftInput): Detection {
  const detection: Detection = { present: [], pending: [] };
  if (input.waiting) {
    const { commit, detail, since } = input.waiting;
    detection.present.push({
      id: driftId('out-of-sync', commit),
      kind: 'out-of-sync',
      job: commit,
      detail,
      since,
    });
  }
  if (!input.desired) return detection;
  const tasksOf = groupBy(input.observed, (task) => (task.cronRun === undefined ? task.jobId : undefined));
  const rollouts = new Map(input.rollouts.map((state) => [state.jobId, state]));
  const records = new Map(input.recorded.map((record) => [record.id, record]));
  const declared = new Set(input.desired.map((job) => job.id));
  const cronStates = new Map((input.cron ?? []).map((state) => [state.jobId, state]));
  for (const job of input.desired) {
    const tasks = tasksOf.get(job.id) ?? [];
    const rollout = rollouts.get(job.id);
    if (isCronJob(job.config)) {
      cronJobDrift(job, tasks, detection);
      missedRunDrift(job, cronStates.get(job.id), detection);
    } else if (rollout) stuckDrift(job, rollout, input, detection);
    else jobDrift(job, records.get(job.id), tasks, input, detection);
  }
  for (const [jobId, tasks] of tasksOf) {
    if (declared.has(jobId)) continue;
    for (const task of tasks.filter((t) => !isTerminal(t.state)))
      detection.present.push(
        unexpected(task, `runs job ${jobId}, which the applied commit does not declare`),
      );
  }
  return detection;
}

/** A cron job runs only as runs: any other live task of it is unexpected. */
function cronJobDrift(job: JobSpec, tasks: readonly ObservedTask[], detection: Detection): void {
  for (const task of tasks.filter((t) => !isTerminal(t.state)))
    detection.present.push(unexpected(task, `runs cron job ${job.id} outside any run`));
}

/**
 * Ticks the scheduler recorded as missed (no leader was up), until a run starts after them:
 * one drift per job however many ticks, so a day without a scheduler is one message.
 */
function missedRunDrift(job: JobSpec, state: CronJobState | undefined, detection: Detection): void {
  const id = driftId('missed_run', job.id);
  const missed = state?.runs.filter((run) => run.outcome === 'missed').at(-1);
  const lastStart = Math.max(-Infinity, ...(state?.runs ?? []).map((run) => run.startedAt ?? -Infinity));
  if (!missed || lastStart > (missed.missed?.latest ?? missed.scheduledAt)) return;
  const count = missed.missed?.count ?? 1;
  const from = new Date(missed.scheduledAt).toISOString();
  const to = new Date(missed.missed?.latest ?? missed.scheduledAt).toISOString();
  detection.present.push({
    id,
    kind: 'missed_run',
    job: job.id,
    detail: `${count} scheduled run${count === 1 ? '' : 's'} ${count === 1 ? 'was' : 'were'} missed (${count === 1 ? from : `${from} to ${to}`}) while no scheduler was running; they are not run late`,
    since: missed.scheduledAt,
  });
}

function stuckDrift(job: JobSpec, rollout: RolloutState, input: DriftInput, detection: Detection): void {
  const quiet = input.now - lastProgress(rollout);
  if (quiet < input.policy.stuckAfterMs) {
    detection.pending.push(driftId('stuck', job.id));
    return;
  }
  const waiting = rollout.instances.filter(isInFlight);
  detection.present.push({
    id: driftId('stuck', job.id),
    kind: 'stuck',
    job: job.id,
    detail: `the update to ${rollout.target.configHash} (commit ${rollout.commit.slice(0, 12)}) has moved no instance along for ${minutes(quiet)}${waiting.length ? `; waiting on instances ${waiting.map((p) => p.instance).join(', ')}` : ''}`,
    since: lastProgress(rollout),
  });
}

/** A job with no update in flight: each instance, and the tasks on instances it does not have. */
function jobDrift(
  job: JobSpec,
  record: RecordedJob | undefined,
  tasks: readonly ObservedTask[],
  input: DriftInput,
  detection: Detection,
): void {
  const count = job.config.instances;
  const live = tasks.filter((task) => !isTerminal(task.state));
  for (let instance = 0; instance < count; instance++) {
    const mine = tasks.filter((task) => task.instance === instance);
    instanceDrift(job, instance, mine, input, detection);
    for (const extra of mine
      .filter((t) => !isTerminal(t.state))
      .sort(newestFirst)
      .slice(1))
      detection.present.push(unexpected(extra, `is a second live task of instance ${instance}`));
  }
  for (const task of live.filter((t) => t.instance >= count))
    detection.present.push(unexpected(task, `runs instance ${task.instance} of a job of ${count}`));
  const other = live.filter((task) => task.instance < count && task.configHash !== job.configHash);
  if (other.length > 0) detection.present.push(configDrift(job, record, other));
}

function instanceDrift(
  job: JobSpec,
  instance: number,
  tasks: readonly ObservedTask[],
  input: DriftInput,
  detection: Detection,
): void {
  const { now, policy } = input;
  const current = tasks.filter((task) => !isTerminal(task.state)).sort(newestFirst)[0];
  const ended = tasks.filter((task) => isTerminal(task.state)).sort(latestEnd);
  const settled =
    current?.state === 'RUNNING' && current.healthy !== false && now - current.updatedAt >= policy.settleMs;
  if (current?.state === 'RUNNING' && !settled)
    detection.recheckAt = Math.min(detection.recheckAt ?? Infinity, current.updatedAt + policy.settleMs);
  const finished =
    !job.config.service && ended[0]?.state === 'FINISHED' && ended[0].configHash === job.configHash;
  const stoppedAt = current ? undefined : stoppedByBorealisAt(ended[0], input.watchingSince);
  const waitingForRelaunch = stoppedAt !== undefined && now - stoppedAt < policy.settleMs;
  if (waitingForRelaunch)
    detection.recheckAt = Math.min(detection.recheckAt ?? Infinity, stoppedAt + policy.settleMs);
  decide(detection, driftId('missing', job.id, instance), {
    present: !current && !finished && !waitingForRelaunch,
    over: settled || finished,
    drift: () => missing(job, instance, ended[0], now),
  });
  const recent = ended.filter((task) => endedOnItsOwn(task) && now - task.updatedAt < policy.flapWindowMs);
  decide(detection, driftId('flapping', job.id, instance), {
    present: recent.length > policy.flapThreshold,
    over: recent.length <= policy.flapThreshold && (settled || finished),
    drift: () => flapping(job, instance, recent, policy),
  });
}

/** Present, pending or neither, by the two conditions. */
function decide(
  detection: Detection,
  id: string,
  rule: { present: boolean; over: boolean; drift: () => Drift },
): void {
  if (rule.present) detection.present.push(rule.drift());
  else if (!rule.over) detection.pending.push(id);
}

/** When Borealis stopped the instance's last task, as far as this observer is concerned. */
function stoppedByBorealisAt(last: ObservedTask | undefined, watchingSince = -Infinity): number | undefined {
  return last?.killRequested === true ? Math.max(last.updatedAt, watchingSince) : undefined;
}

function missing(job: JobSpec, instance: number, last: ObservedTask | undefined, now: number): Drift {
  const why = !last
    ? ''
    : last.killRequested
      ? '; Borealis stopped its last task and it has not been relaunched'
      : `; its last task ended ${last.state}${last.message ? `: ${last.message}` : ''}`;
  return {
    id: driftId('missing', job.id, instance),
    kind: 'missing',
    job: job.id,
    instance,
    detail: `instance ${instance} is not running${why}`,
    since: last?.updatedAt ?? now,
  };
}

function flapping(
  job: JobSpec,
  instance: number,
  recent: readonly ObservedTask[],
  policy: DriftPolicy,
): Drift {
  const last = recent[0]!;
  return {
    id: driftId('flapping', job.id, instance),
    kind: 'flapping',
    job: job.id,
    instance,
    detail: `instance ${instance} ended ${recent.length} times in the last ${minutes(policy.flapWindowMs)} (last: ${last.state}${last.message ? `: ${last.message}` : ''})`,
    since: Math.min(...recent.map((task) => task.updatedAt)),
  };
}

/** One drift per job: a held update leaves every instance on the old configuration at once. */
function configDrift(job: JobSpec, record: RecordedJob | undefined, tasks: readonly ObservedTask[]): Drift {
  const held = record?.held?.configHash === job.configHash ? record.held : undefined;
  const why = held
    ? ` (the update ${held.outcome === 'rolled_back' ? 'was rolled back' : 'failed'} and is held)`
    : '';
  const instances = [...new Set(tasks.map((task) => task.instance))].sort((a, b) => a - b);
  const configs = [...new Set(tasks.map((task) => task.configHash))].join(', ');
  const which =
    instances.length === 1 ? `instance ${instances[0]} runs` : `instances ${instances.join(', ')} run`;
  return {
    id: driftId('config', job.id),
    kind: 'config',
    job: job.id,
    detail: `${which} configuration ${configs}, the applied commit asks for ${job.configHash}${why}`,
    since: held?.at ?? Math.min(...tasks.map((task) => task.launchedAt)),
  };
}

function unexpected(task: ObservedTask, why: string): Drift {
  return {
    id: driftId('unexpected', task.jobId, task.instance),
    kind: 'unexpected',
    job: task.jobId,
    instance: task.instance,
    detail: `task ${task.taskId} ${why}`,
    since: task.launchedAt,
  };
}

const newestFirst = (a: ObservedTask, b: ObservedTask) =>
  b.launchedAt - a.launchedAt || b.updatedAt - a.updatedAt;
const latestEnd = (a: ObservedTask, b: ObservedTask) => b.updatedAt - a.updatedAt;

function minutes(ms: number): string {
  const m = Math.round(ms / 60_000);
  return m >= 1 ? `${m} min` : `${Math.round(ms / 1000)} s`;
}
