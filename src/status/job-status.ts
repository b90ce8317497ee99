/**
 * What `status` reports, computed purely from the records and the cluster's tasks: every
 * job with its instances, and whether it is in sync with the last applied commit.
 */
import { isTerminal, type Cluster, type ObservedTask } from '../cluster/types.js';
import type { RolloutState } from '../deploy/rollout.js';
import type { OpenDrift } from '../drift/transitions.js';
import type { RecordedJob } from '../plan/types.js';
import type { Records } from '../state/records.js';
import type { JobId } from '../spec/types.js';

export interface InstanceStatus {
  instance: number;
  state: ObservedTask['state'] | 'MISSING';
  healthy?: boolean;
  config?: string;
  commit?: string;
  task_id?: string;
  host?: string;
  ports?: Record<string, number>;
  /** Milliseconds since the task's latest state change, for live tasks. */
  uptime_ms?: number;
  reason?: string;
  message?: string;
}

export interface JobStatus {
  job: JobId;
  /** Every declared instance runs the applied configuration, nothing extra runs, no update is in flight. */
  in_sync: boolean;
  recorded: boolean;
  config?: string;
  commit?: string;
  instances_desired: number;
  update?: { status: string; commit: string };
  /** An update that failed and is held back: the job keeps its previous configuration. */
  held?: { config: string; commit: string; outcome: string; reason?: string };
  /** Drift the daemon has announced and not yet seen resolved. */
  drift?: { kind: string; instance?: number; detail: string; since: string }[];
  instances: InstanceStatus[];
}

export function jobStatuses(
  recorded: readonly RecordedJob[],
  tasks: readonly ObservedTask[],
  rollouts: readonly RolloutState[],
  now: number,
  openDrift: readonly OpenDrift[] = [],
): JobStatus[] {
  const records = new Map(recorded.map((job) => [job.id, job]));
  const updates = new Map(rollouts.map((state) => [state.jobId, state]));
  const ids = [...new Set([...records.keys(), ...tasks.map((task) => task.jobId)])].sort();
  return ids.map((id) =>
    withDrift(
      jobStatus(
        id,
        records.get(id),
        tasks.filter((task) => task.jobId === id),
        updates.get(id),
        now,
      ),
      openDrift.filter((drift) => drift.job === id),
    ),
  );
}

function withDrift(status: JobStatus, drifts: readonly OpenDrift[]): JobStatus {
  if (drifts.length === 0) return status;
  status.drift = drifts.map((drift) => ({
    kind: drift.kind,
    ...(drift.instance === undefined ? {} : { instance: drift.instance }),
    detail: drift.detail,
    since: new Date(drift.since).toISOString(),
  }));
  return status;
}

function jobStatus(
  id: JobId,
  record: RecordedJob | undefined,
  tasks: ObservedTask[],
  update: RolloutState | undefined,
  now: number,
): JobStatus {
  const declared = record?.config.instances ?? 0;
  const numbers = [
    ...new Set([...Array.from({ length: declared }, (_, i) => i), ...tasks.map((task) => task.instance)]),
  ].sort((a, b) => a - b);
  const instances = numbers.map((instance) =>
    instanceStatus(
      instance,
      tasks.filter((task) => task.instance === instance),
      now,
    ),
  );
  const finishedIsFine = record !== undefined && !record.config.service;
  const healthyInstance = (status: InstanceStatus) =>
    status.config === record?.configHash &&
    (status.state === 'RUNNING' || (status.state === 'FINISHED' && finishedIsFine)) &&
    status.healthy !== false;
  const inSync =
    record !== undefined && !update && instances.length === declared && instances.every(healthyInstance);
  const status: JobStatus = {
    job: id,
    in_sync: inSync,
    recorded: record !== undefined,
    instances_desired: declared,
    instances,
  };
  if (record) Object.assign(status, { config: record.configHash, commit: record.commit });
  if (update) status.update = { status: update.status, commit: update.commit };
  const held = record?.held;
  if (held) {
    status.held = { config: held.configHash, commit: held.commit, outcome: held.outcome };
    if (held.reason) status.held.reason = held.reason;
  }
  return status;
}

/** The live task of an instance, else its latest ended one, else MISSING. */
function instanceStatus(instance: number, tasks: ObservedTask[], now: number): InstanceStatus {
  const live = tasks.filter((task) => !isTerminal(task.state)).sort((a, b) => b.launchedAt - a.launchedAt);
  const ended = tasks.filter((task) => isTerminal(task.state)).sort((a, b) => b.updatedAt - a.updatedAt);
  const task = live[0] ?? ended[0];
  if (!task) return { instance, state: 'MISSING' };
  const status: InstanceStatus = {
    instance,
    state: task.state,
    config: task.configHash,
    commit: task.commit,
    task_id: task.taskId,
    host: task.host,
    ports: task.ports,
  };
  if (task.healthy !== undefined) status.healthy = task.healthy;
  if (!isTerminal(task.state)) status.uptime_ms = now - task.updatedAt;
  if (task.reason) status.reason = task.reason;
  if (task.message) status.message = task.message;
  return status;
}

/** What `status -o json` and `GET /api/status` report: the applied commit and every job. */
export interface StatusReport {
  applied_commit: string | null;
  cluster: string;
  jobs: JobStatus[];
}

export async function statusReport(
  records: Pick<Records, 'jobs' | 'rollouts' | 'applied' | 'openDrift'>,
  cluster: Pick<Cluster, 'snapshot'>,
  clusterName: string,
  now = Date.now(),
): Promise<StatusReport> {
  const [recorded, tasks, rollouts, applied, openDrift] = await Promise.all([
    records.jobs(),
    cluster.snapshot(),
    records.rollouts(),
    records.applied(),
    records.openDrift(),
  ]);
  return {
    applied_commit: applied?.commit ?? null,
    cluster: clusterName,
    jobs: jobStatuses(recorded, tasks, rollouts, now, openDrift),
  };
}
