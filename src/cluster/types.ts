/**
 * The port every backend implements. The planner and the deployer see only this, so a
 * local process and a Mesos task look the same to them: both are built from the labels
 * Borealis attaches at launch (job id, instance, config hash, commit).
 */
import type { InstanceConfig, JobId, JobKey } from '../jobspec/types.js';

/** Mesos's task states, as Borealis reports them for every backend. */
export type TaskState =
  'PENDING' | 'STARTING' | 'RUNNING' | 'KILLING' | 'FINISHED' | 'FAILED' | 'KILLED' | 'LOST';

export const TERMINAL_STATES: ReadonlySet<TaskState> = new Set(['FINISHED', 'FAILED', 'KILLED', 'LOST']);

export function isTerminal(state: TaskState): boolean {
  return TERMINAL_STATES.has(state);
}

/**
 * The reason of a task the cluster refused to run as specified (Mesos's TASK_ERROR, a
 * sandbox that cannot be set up): launching the same configuration again cannot help, so
 * it fails an update at once and is not relaunched until the configuration changes.
 */
export const REASON_TASK_INVALID = 'REASON_TASK_INVALID';

/** A task that ended without Borealis asking it to: a crash, a loss, a kill from elsewhere. */
export function endedOnItsOwn(task: Pick<ObservedTask, 'state' | 'killRequested'>): boolean {
  return isTerminal(task.state) && task.killRequested !== true;
}

export function isInvalidTask(task: Pick<ObservedTask, 'state' | 'reason'>): boolean {
  return task.state === 'FAILED' && task.reason === REASON_TASK_INVALID;
}

/** What the cluster needs to start one instance of a job. */
export interface TaskLaunch {
  /** `<role>-<environment>-<name>-<instance>-<uuid>`; unique forever. */
  taskId: string;
  jobId: JobId;
  key: JobKey;
  instance: number;
  configHash: string;
  commit: string;
  config: InstanceConfig;
  /**
   * The cron run this task belongs to (src/cron/): such a task is the cron scheduler's,
   * never the planner's, so it is neither healed, updated nor killed as surplus.
   */
  cronRun?: string;
}

/** One task as the cluster reports it, rebuilt from the labels given at launch. */
export interface ObservedTask {
  taskId: string;
  jobId: JobId;
  instance: number;
  configHash: string;
  commit: string;
  /** Set on a task a cron run launched (`TaskLaunch.cronRun`). */
  cronRun?: string;
  state: TaskState;
  /** Undefined when the job has no health check or the check has not decided yet. */
  healthy?: boolean;
  /** Machine-readable cause of the latest state, e.g. `REASON_COMMAND_EXECUTOR_FAILED`. */
  reason?: string;
  /** Human-readable detail of the latest state. */
  message?: string;
  /**
   * Borealis asked the cluster to kill this task (an update, a scale-down, a removed job,
   * `borealis local down`). Its end is then Borealis's doing, not the task's: it counts
   * toward neither drift (`flapping`, `missing`) nor relaunch back-off.
   */
  killRequested?: boolean;
  /** Epoch milliseconds of the latest state change. */
  updatedAt: number;
  /** Epoch milliseconds the task was launched. */
  launchedAt: number;
  host: string;
  ports: Record<string, number>;
}

export interface TaskStatusUpdate {
  task: ObservedTask;
  /** Previous state, when the cluster knew the task before this update. */
  previous?: TaskState;
}

/** An instance a plan would launch, for a backend to check it could be placed. */
export type PlannedLaunch = Pick<TaskLaunch, 'jobId' | 'instance' | 'config'>;

/** Instances of one job that no host could take now, and why. */
export interface PlacementProblem {
  jobId: JobId;
  instances: number[];
  /** e.g. `insufficient cpu on 48 offers`, `limit:1 on host reached on 2 offers`. */
  reasons: string[];
}

export interface Cluster {
  /** Backend name for messages, e.g. `local` or `mesos`. */
  readonly kind: string;
  /**
   * Every task the cluster knows, terminal ones included until they are forgotten. Read
   * only: a backend may answer the same (frozen) array again while nothing changed.
   */
  snapshot(): Promise<readonly ObservedTask[]>;
  launch(tasks: TaskLaunch[]): Promise<void>;
  kill(taskIds: string[]): Promise<void>;
  /** Drop terminal tasks from the cluster's memory (and their sandboxes' status, where kept). */
  forget(taskIds: string[]): Promise<void>;
  /**
   * Which planned launches no host could take now (released: task ids the plan kills, whose
   * resources count as free). Only backends that place tasks themselves implement it.
   */
  placementProblems?(
    launches: readonly PlannedLaunch[],
    released: readonly string[],
  ): Promise<PlacementProblem[]>;
  /** Subscribe to state changes; returns the unsubscribe function. */
  subscribe(listener: (update: TaskStatusUpdate) => void): () => void;
  close(): Promise<void>;
}
