/**
 * What `status` reports, computed purely from the records, the saved rollouts, the open
 * drift and the cluster's tasks: every job with its instances, and two verdicts, as Argo CD
 * gives them. Sync compares what runs with what the last applied commit declares (the
 * records); health says whether what runs is working. Both are defined in the README.
 */
import { isTerminal, type Cluster, type ObservedTask } from '../cluster/types.js';
import { CronRecords } from '../cron/records.js';
import type { CronJobState } from '../cron/types.js';
import type { RolloutState } from '../deploy/rollout.js';
import type { OpenDrift } from '../drift/transitions.js';
import { formatRanges } from '../plan/describe.js';
import type { HeldUpdate, RecordedJob } from '../plan/types.js';
import type { Records } from '../state/records.js';
import type { JobId } from '../jobspec/types.js';
import { cronHealth, cronStatus, isCronJob, type CronStatus } from './cron-status.js';

export const STATUS_FORMAT_VERSION = 1;

export type SyncStatus = 'synced' | 'out_of_sync' | 'held';
export type HealthStatus = 'healthy' | 'progressing' | 'degraded' | 'missing';

export interface InstanceStatus {
  instance: number;
  state: ObservedTask['state'] | 'MISSING';
  /** The health check's verdict on a live task; absent when undecided, unchecked or ended. */
  healthy?: boolean;
  config?: string;
  commit?: string;
  task_id?: string;
  host?: string;
  ports?: Record<string, number>;
  /** When the task entered its state (ISO 8601). */
  updated_at?: string;
  /** Seconds since a live task's latest state change. */
  uptime_secs?: number;
  reason?: string;
  message?: string;
  /** The cron run the task belongs to. */
  cron_run?: string;
}

export interface JobStatus {
  job: JobId;
  sync: SyncStatus;
  /** Why, in one sentence. */
  sync_detail: string;
  health: HealthStatus;
  health_detail: string;
  /** Whether a record says Borealis applied the job (a job without one is an orphan, or being created). */
  recorded: boolean;
  /** The configuration the applied commit declares. */
  config?: string;
  commit?: string;
  instances_desired: number;
  /** Declared instances whose task is RUNNING. */
  instances_running: number;
  /** Declared instances of a batch job whose task finished successfully. */
  instances_finished: number;
  update?: {
    status: RolloutState['status'];
    commit: string;
    config: string;
    started_at: string;
    instances_done: number;
    instances_total: number;
  };
  /** An update that failed and is held back: the job keeps its previous configuration. */
  held?: { config: string; commit: string; outcome: HeldUpdate['outcome']; at: string; reason?: string };
  /** Drift the daemon announced that what runs now still shows. */
  drift?: { kind: string; instance?: number; detail: string; since: string }[];
  /** A cron job's schedule and runs (cron-status.ts); absent for every other job. */
  cron?: CronStatus;
  instances: InstanceStatus[];
}

/** Everything known about one job, the input of its verdicts. */
export interface JobFacts {
  id: JobId;
  record: RecordedJob | undefined;
  tasks: readonly ObservedTask[];
  /** The job's saved rollout, in flight or left behind finished. */
  rollout: RolloutState | undefined;
  drift: readonly OpenDrift[];
  /** The cron scheduler's record of the job (`cron/<job id>`), if it has one. */
  cron?: CronJobState;
}

/**
 * A job with only a cron record (descheduled) is listed while tasks of it are left, as a
 * run left to finish; a job is listed for its records, its rollout or its tasks.
 */
export function jobStatuses(
  recorded: readonly RecordedJob[],
  tasks: readonly ObservedTask[],
  rollouts: readonly RolloutState[],
  now: number,
  openDrift: readonly OpenDrift[] = [],
  cronStates: readonly CronJobState[] = [],
): JobStatus[] {
  const records = new Map(recorded.map((job) => [job.id, job]));
  const updates = new Map(rollouts.map((state) => [state.jobId, state]));
  const crons = new Map(cronStates.map((state) => [state.jobId, state]));
  const ids = [...new Set([...records.keys(), ...updates.keys(), ...tasks.map((task) => task.jobId)])].sort();
  return ids.map((id) =>
    jobStatus(
      {
        id,
        record: records.get(id),
        tasks: tasks.filter((task) => task.jobId === id),
        rollout: updates.get(id),
        drift: openDrift.filter((drift) => drift.job === id),
        cron: crons.get(id),
      },
      now,
    ),
  );
}

interface Verdict<T> {
  status: T;
  detail: string;
}

/** What the verdicts are computed from: the job's facts, read once. */
interface Reading {
  facts: JobFacts;
  /** A rollout still moving instances (not one left behind finished). */
  rollout: RolloutState | undefined;
  /** The configuration declared instances should run: the rollout's target while one is in flight. */
  expected: string | undefined;
  desired: number;
  /** Whether a task that ended successfully is where it should be (a batch job). */
  finishIsFine: boolean;
  /** The live tasks by instance, newest first. */
  live: Map<number, ObservedTask[]>;
  /** Each instance's task to show: its newest live one, else its latest ended one. */
  current: Map<number, ObservedTask>;
}

export function jobStatus(facts: JobFacts, now: number): JobStatus {
  if (isCronJob(facts.record, facts.cron)) return cronJobStatus(facts, now);
  // A run left by a job that was a cron job belongs to the scheduler, not to the instances.
  const reading = read({ ...facts, tasks: facts.tasks.filter((task) => task.cronRun === undefined) });
  const { record } = facts;
  const sync = syncOf(reading);
  const health = healthOf(reading);
  const declared = range(reading.desired);
  const instances = [...new Set([...declared, ...reading.current.keys()])]
    .sort((a, b) => a - b)
    .map((instance) => instanceStatus(instance, reading.current.get(instance), now));
  const status: JobStatus = {
    ...verdicts(facts, sync, health),
    instances_desired: reading.desired,
    instances_running: declared.filter((i) => reading.current.get(i)?.state === 'RUNNING').length,
    instances_finished: declared.filter((i) => finishedWell(reading, reading.current.get(i))).length,
    instances,
  };
  if (record) Object.assign(status, { config: record.configHash, commit: record.commit });
  if (reading.rollout) status.update = updateOf(reading.rollout);
  if (record?.held) status.held = heldOf(record.held);
  const drift = stillShown(facts.drift, reading, sync.status);
  if (drift.length > 0) status.drift = drift.map(driftOf);
  return status;
}

/**
 * A cron job's instances are its runs' tasks, there only while a run is (no MISSING rows
 * between runs). Sync compares the record with what the commit declares, as for any job,
 * and a task outside a run is out of place; health is the last ended run's outcome.
 */
function cronJobStatus(facts: JobFacts, now: number): JobStatus {
  const reading = read(facts);
  const { record } = facts;
  const sync = cronSyncOf(reading);
  const health = cronHealth(facts.cron);
  const shown = [...reading.current.values()].sort((a, b) => a.instance - b.instance);
  const status: JobStatus = {
    ...verdicts(facts, sync, health),
    instances_desired: record?.config.instances ?? 0,
    instances_running: shown.filter((task) => task.state === 'RUNNING').length,
    instances_finished: shown.filter((task) => task.state === 'FINISHED').length,
    instances: shown.map((task) => instanceStatus(task.instance, task, now)),
  };
  if (record) Object.assign(status, { config: record.configHash, commit: record.commit });
  if (record?.held) status.held = heldOf(record.held);
  if (facts.drift.length > 0) status.drift = facts.drift.map(driftOf);
  status.cron = cronStatus(record, facts.cron, now);
  return status;
}

/** The fields every job's status begins with, in this order. */
function verdicts(facts: JobFacts, sync: Verdict<SyncStatus>, health: Verdict<HealthStatus>) {
  return {
    job: facts.id,
    sync: sync.status,
    sync_detail: sync.detail,
    health: health.status,
    health_detail: health.detail,
    recorded: facts.record !== undefined,
  };
}

function cronSyncOf(reading: Reading): Verdict<SyncStatus> {
  const { record } = reading.facts;
  if (!record)
    return {
      status: 'out_of_sync',
      detail: 'descheduled: no applied commit declares this job; its run is left to finish',
    };
  if (record.held) return { status: 'held', detail: describeHeld(record.held, record.configHash) };
  const outside = [...reading.live.values()]
    .flat()
    .filter((task) => task.cronRun === undefined)
    .map((task) => task.instance);
  if (outside.length > 0)
    return { status: 'out_of_sync', detail: `${instancesPhrase(unique(outside))} outside a cron run` };
  return { status: 'synced', detail: `scheduled with configuration ${record.configHash}` };
}

function read(facts: JobFacts): Reading {
  const { record, tasks } = facts;
  const rollout = facts.rollout && isInFlight(facts.rollout) ? facts.rollout : undefined;
  const live = new Map<number, ObservedTask[]>();
  const current = new Map<number, ObservedTask>();
  const newestFirst = [...tasks].sort((a, b) => b.launchedAt - a.launchedAt || b.updatedAt - a.updatedAt);
  for (const task of newestFirst) {
    if (isTerminal(task.state)) continue;
    live.set(task.instance, [...(live.get(task.instance) ?? []), task]);
    if (!current.has(task.instance)) current.set(task.instance, task);
  }
  const latestEnded = [...tasks].sort((a, b) => b.updatedAt - a.updatedAt);
  for (const task of latestEnded) if (!current.has(task.instance)) current.set(task.instance, task);
  return {
    facts,
    rollout,
    expected: rollout?.target.configHash ?? record?.configHash,
    desired: desiredCount(record, rollout),
    finishIsFine: record ? !record.config.service : (rollout?.finishIsSuccess ?? false),
    live,
    current,
  };
}

function isInFlight(rollout: RolloutState): boolean {
  return rollout.status === 'ROLLING_FORWARD' || rollout.status === 'ROLLING_BACK';
}

/** The record's count, or while a rollout is in flight the count it is heading for. */
function desiredCount(record: RecordedJob | undefined, rollout: RolloutState | undefined): number {
  const recorded = record?.config.instances ?? 0;
  if (!rollout) return recorded;
  if (rollout.removals.length > 0) return Math.min(...rollout.removals);
  return Math.max(recorded, ...rollout.instances.map((progress) => progress.instance + 1));
}

function syncOf(reading: Reading): Verdict<SyncStatus> {
  const { record } = reading.facts;
  const { rollout } = reading;
  if (!record && !rollout)
    return { status: 'out_of_sync', detail: 'no applied commit declares this job: its tasks are orphans' };
  if (record?.held && (!rollout || rollout.target.configHash === record.configHash))
    return { status: 'held', detail: describeHeld(record.held, record.configHash) };
  if (rollout) return { status: 'out_of_sync', detail: describeRollout(rollout) };
  const differences = differencesOf(reading);
  if (differences.length > 0) return { status: 'out_of_sync', detail: differences.join('; ') };
  return { status: 'synced', detail: `every instance runs configuration ${record!.configHash}` };
}

function describeHeld(held: HeldUpdate, running: string): string {
  const failed = held.outcome === 'rolled_back' ? 'failed and was rolled back' : 'failed';
  return `the update to ${held.configHash} from commit ${held.commit.slice(0, 12)} ${failed}; the job keeps configuration ${running}`;
}

function describeRollout(rollout: RolloutState): string {
  const done = rollout.instances.filter((progress) => progress.status === 'done').length;
  const total = rollout.instances.length;
  const commit = rollout.commit.slice(0, 12);
  return rollout.status === 'ROLLING_BACK'
    ? `rolling back to ${rollout.target.configHash} after the update from commit ${commit} failed (${done} of ${total} instances)`
    : `rolling out ${rollout.target.configHash} from commit ${commit} (${done} of ${total} instances)`;
}

/** How what runs differs from what is declared, most telling first. */
function differencesOf(reading: Reading): string[] {
  const { expected, desired, live } = reading;
  const liveInstances = [...live.keys()];
  const otherConfig = liveInstances.filter(
    (i) => i < desired && live.get(i)!.some((t) => t.configHash !== expected),
  );
  const beyond = liveInstances.filter((i) => i >= desired);
  const duplicated = liveInstances.filter((i) => i < desired && live.get(i)!.length > 1);
  const absent = range(desired).filter((i) => !isPresent(reading, i));
  return [
    otherConfig.length > 0 ? `${instancesPhrase(otherConfig)} another configuration than ${expected}` : '',
    beyond.length > 0 ? `${instancesPhrase(beyond)} beyond the ${desired} declared` : '',
    duplicated.length > 0 ? `${instancesPhrase(duplicated)} more than one task` : '',
    absent.length > 0 ? `${instancesPhrase(absent, 'is', 'are')} not running` : '',
  ].filter(Boolean);
}

/** `instance 2 runs`, `instances 0-2 run` (or with the given verbs). */
function instancesPhrase(instances: readonly number[], one = 'runs', many = 'run'): string {
  return instances.length === 1
    ? `instance ${instances[0]} ${one}`
    : `instances ${formatRanges(instances)} ${many}`;
}

/** A declared instance that is there: a live task of the expected configuration, or a batch instance that finished. */
function isPresent(reading: Reading, instance: number): boolean {
  const task = reading.current.get(instance);
  if (!task || task.configHash !== reading.expected) return false;
  return (!isTerminal(task.state) && task.state !== 'KILLING') || finishedWell(reading, task);
}

function finishedWell(reading: Reading, task: ObservedTask | undefined): boolean {
  return reading.finishIsFine && task?.state === 'FINISHED' && task.configHash === reading.expected;
}

function healthOf(reading: Reading): Verdict<HealthStatus> {
  const { rollout, desired, current } = reading;
  if (rollout) return { status: 'progressing', detail: describeRollout(rollout) };
  const declared = range(desired);
  const liveTasks = [...reading.live.values()].flat();
  const running = declared.filter((i) => isPresent(reading, i));
  if (liveTasks.length === 0 && running.length === 0 && (desired > 0 || current.size > 0))
    return { status: 'missing', detail: desired > 0 ? 'no instance is running' : 'no task is running' };
  const starting = liveTasks.filter((task) => task.state !== 'RUNNING').map((task) => task.instance);
  if (starting.length > 0)
    return {
      status: 'progressing',
      detail: `${instancesPhrase(unique(starting), 'is', 'are')} starting or stopping`,
    };
  const unhealthy = liveTasks.filter((task) => task.healthy === false).map((task) => task.instance);
  const absent = declared.filter((i) => !reading.live.has(i) && !finishedWell(reading, current.get(i)));
  const problems = [
    absent.length > 0 ? `${instancesPhrase(absent, 'is', 'are')} not running` : '',
    unhealthy.length > 0 ? `${instancesPhrase(unique(unhealthy), 'fails', 'fail')} its health check` : '',
  ].filter(Boolean);
  if (problems.length > 0) return { status: 'degraded', detail: problems.join('; ') };
  return { status: 'healthy', detail: healthyDetail(reading, declared.length) };
}

function healthyDetail(reading: Reading, declared: number): string {
  if (declared === 0) return 'no instance is declared';
  return reading.finishIsFine ? 'every instance runs or finished successfully' : 'every instance is running';
}

/**
 * The announced drift the tasks seen now still show: the daemon closes a drift on its next
 * look, so an instance relaunched since, or a configuration back in sync, is not reported.
 */
function stillShown(drifts: readonly OpenDrift[], reading: Reading, sync: SyncStatus): OpenDrift[] {
  return drifts.filter((drift) => {
    if (drift.kind === 'missing' && drift.instance !== undefined) return !isPresent(reading, drift.instance);
    if (drift.kind === 'config') return sync !== 'synced';
    return true;
  });
}

function driftOf(drift: OpenDrift): NonNullable<JobStatus['drift']>[number] {
  return {
    kind: drift.kind,
    ...(drift.instance === undefined ? {} : { instance: drift.instance }),
    detail: drift.detail,
    since: new Date(drift.since).toISOString(),
  };
}

function updateOf(rollout: RolloutState): NonNullable<JobStatus['update']> {
  return {
    status: rollout.status,
    commit: rollout.commit,
    config: rollout.target.configHash,
    started_at: new Date(rollout.startedAt).toISOString(),
    instances_done: rollout.instances.filter((progress) => progress.status === 'done').length,
    instances_total: rollout.instances.length,
  };
}

function heldOf(held: HeldUpdate): NonNullable<JobStatus['held']> {
  return {
    config: held.configHash,
    commit: held.commit,
    outcome: held.outcome,
    at: new Date(held.at).toISOString(),
    ...(held.reason ? { reason: held.reason } : {}),
  };
}

function instanceStatus(instance: number, task: ObservedTask | undefined, now: number): InstanceStatus {
  if (!task) return { instance, state: 'MISSING' };
  const status: InstanceStatus = {
    instance,
    state: task.state,
    config: task.configHash,
    commit: task.commit,
    task_id: task.taskId,
    host: task.host,
    ports: task.ports,
    updated_at: new Date(task.updatedAt).toISOString(),
  };
  // A health verdict describes a live task; an ended one keeps its last, which no longer holds.
  if (!isTerminal(task.state)) {
    if (task.healthy !== undefined) status.healthy = task.healthy;
    status.uptime_secs = Math.max(0, now - task.updatedAt) / 1000;
  }
  if (task.reason) status.reason = task.reason;
  if (task.message) status.message = task.message;
  if (task.cronRun !== undefined) status.cron_run = task.cronRun;
  return status;
}

function range(count: number): number[] {
  return Array.from({ length: count }, (_, i) => i);
}

function unique(numbers: readonly number[]): number[] {
  return [...new Set(numbers)].sort((a, b) => a - b);
}

/** What `status -o json` and `GET /api/status` report: the applied commit and every job. */
export interface StatusReport {
  format_version: typeof STATUS_FORMAT_VERSION;
  applied_commit: string | null;
  /** When it was applied (ISO 8601), null before anything was. */
  applied_at: string | null;
  cluster: string;
  jobs: JobStatus[];
}

export async function statusReport(
  records: Pick<Records, 'jobs' | 'rollouts' | 'applied' | 'openDrift' | 'store'>,
  cluster: Pick<Cluster, 'snapshot'>,
  clusterName: string,
  now = Date.now(),
): Promise<StatusReport> {
  const [recorded, tasks, rollouts, applied, openDrift, cronStates] = await Promise.all([
    records.jobs(),
    cluster.snapshot(),
    records.rollouts(),
    records.applied(),
    records.openDrift(),
    new CronRecords(records.store).list(),
  ]);
  return {
    format_version: STATUS_FORMAT_VERSION,
    applied_commit: applied?.commit ?? null,
    applied_at: applied ? new Date(applied.appliedAt).toISOString() : null,
    cluster: clusterName,
    jobs: jobStatuses(recorded, tasks, rollouts, now, openDrift, cronStates),
  };
}
