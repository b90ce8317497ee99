/**
 * What the Mesos driver remembers of its tasks in the state store, one record per task.
 * A record is written before its task is launched, so a restarted driver knows every task
 * it may have started, and rewritten when the task ends (or comes back from an unreachable
 * agent), so a restart reconciles only live tasks and keeps the history back-off reads.
 * Those later writes are batched: one lost in a crash only means the task is reconciled
 * once more.
 */
import { encodeKeySegment, type StateStore } from '../../state/types.js';
import type { TaskLaunch, TaskState } from '../types.js';
import type { ResourceTotals } from './operator-types.js';

export interface TaskRecord {
  taskId: string;
  jobId: string;
  instance: number;
  configHash: string;
  commit: string;
  /** The cron run the task belongs to (`TaskLaunch.cronRun`). */
  cronRun?: string;
  launchedAt: number;
  hasHealthCheck: boolean;
  agentId?: string;
  hostname?: string;
  /** The agent's attributes, for the job's `limit:N` constraints when more instances are placed. */
  attributes?: Record<string, string[]>;
  ports: Record<string, number>;
  /** What the task holds on its agent (absent in records of older versions). */
  resources?: ResourceTotals;
  /** This framework asked Mesos to kill the task: its end is Borealis's doing. */
  killRequested?: boolean;
  /** How the task ended; absent while it may be running. */
  ended?: EndedTask;
}

export interface EndedTask {
  state: TaskState;
  mesosState?: string;
  reason?: string;
  message?: string;
  /** Epoch milliseconds. */
  updatedAt: number;
  /** Seconds since the epoch, of the update that ended it. */
  timestamp?: number;
}

/** The record of a task about to be launched: where it runs is added once an offer is taken. */
export function launchRecord(launch: TaskLaunch, now: number): TaskRecord {
  return {
    taskId: launch.taskId,
    jobId: launch.jobId,
    instance: launch.instance,
    configHash: launch.configHash,
    commit: launch.commit,
    ...(launch.cronRun === undefined ? {} : { cronRun: launch.cronRun }),
    launchedAt: now,
    hasHealthCheck: launch.config.health_check_config !== undefined,
    ports: {},
  };
}

const TASKS = 'mesos-tasks';
const keyOf = (taskId: string) => `${TASKS}/${encodeKeySegment(taskId)}`;

export class TaskRecords {
  private readonly changed = new Map<string, TaskRecord>();
  private flushScheduled = false;
  /** Every write, in order, so a removal is never overtaken by an older batched write. */
  private writes: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: StateStore,
    private readonly log: (line: string) => void,
  ) {}

  async load(): Promise<TaskRecord[]> {
    const names = await this.store.list(TASKS);
    const saved = await this.store.getMany<TaskRecord>(names.map((name) => `${TASKS}/${name}`));
    return saved.flatMap((entry) => (entry ? [entry.value] : []));
  }

  /** The records of tasks about to be launched, in one transaction, before the ACCEPT. */
  async saveLaunching(records: readonly TaskRecord[]): Promise<void> {
    if (records.length === 0) return;
    for (const record of records) this.changed.delete(record.taskId);
    await this.enqueue(() =>
      this.store.transaction(records.map((value) => ({ op: 'put', key: keyOf(value.taskId), value }))),
    );
  }

  /** A record whose task ended or came back: written soon, with the others that change meanwhile. */
  update(record: TaskRecord): void {
    this.changed.set(record.taskId, record);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => void this.flush());
  }

  async remove(taskId: string): Promise<void> {
    this.changed.delete(taskId);
    await this.enqueue(() => this.store.delete(keyOf(taskId)));
  }

  /** Writes what `update` queued; `close` waits for it. */
  async flush(): Promise<void> {
    this.flushScheduled = false;
    const batch = [...this.changed.values()];
    this.changed.clear();
    if (batch.length > 0)
      await this.enqueue(() =>
        this.store.transaction(batch.map((value) => ({ op: 'put', key: keyOf(value.taskId), value }))),
      ).catch((error: unknown) => this.log(`cannot save ${batch.length} task record(s): ${String(error)}`));
    await this.writes;
  }

  private enqueue(write: () => Promise<unknown>): Promise<void> {
    const next = this.writes.then(write).then(() => undefined);
    this.writes = next.catch(() => undefined);
    return next;
  }
}
