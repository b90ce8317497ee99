/**
 * What a rollout is made of: its saved state, each instance's progress, the actions and
 * events of a step. Shared by the step (`rollout.ts`) and the per-instance transition table
 * (`instance-transitions.ts`), so that the table needs nothing of the step that applies it.
 */
import type { InstanceConfig, JobId, UpdateConfig } from '../jobspec/types.js';

export type RolloutStatus = 'ROLLING_FORWARD' | 'ROLLING_BACK' | 'ROLLED_FORWARD' | 'ROLLED_BACK' | 'FAILED';

/** Where one instance is in the rollout (the status module's `InstanceStatus` is what a person is shown). */
export type InstanceStep = 'pending' | 'stopping' | 'starting' | 'done' | 'failed';

export interface InstanceProgress {
  instance: number;
  status: InstanceStep;
  /** The task being replaced, killed before the new one starts. */
  oldTaskId?: string;
  /** The task running (or about to run) the target configuration. */
  taskId?: string;
  /** Terminations of tasks with the target configuration. */
  failures: number;
  /** Tasks of the target configuration lost with their agent, relaunched without counting a failure. */
  lost?: number;
}

export interface ConfigVersion {
  configHash: string;
  config: InstanceConfig;
}

export interface RolloutState {
  version: 1;
  jobId: JobId;
  commit: string;
  status: RolloutStatus;
  /** The configuration being rolled out now (the previous one while rolling back). */
  target: ConfigVersion;
  /** What the instances ran before; absent for new jobs, which cannot roll back. */
  previous?: ConfigVersion;
  /** Instance count before the rollout: instances at or above it were added by it. */
  previousInstances: number;
  settings: UpdateConfig;
  /** Whether a task that ends successfully (FINISHED) counts as a success: batch jobs. */
  finishIsSuccess: boolean;
  /** In the order they are processed: ascending forward, descending when rolling back. */
  instances: InstanceProgress[];
  /** Instance numbers to kill once every instance is done (scale-down, or added then rolled back). */
  removals: number[];
  startedAt: number;
  updatedAt: number;
  /** Epoch ms of the last step that moved an instance along (absent in rollouts saved before it existed). */
  progressedAt?: number;
  /**
   * Epoch ms when a reconciler last took the rollout up again after stopping: time no
   * reconciler drove it does not count against its progress deadline.
   */
  resumedAt?: number;
}

export type RolloutAction =
  | { kind: 'launch'; instance: number; taskId: string; version: ConfigVersion }
  | { kind: 'kill'; taskId: string };

export type RolloutEvent =
  | 'INSTANCE_RELAUNCHED'
  | 'INSTANCE_UPDATING'
  | 'INSTANCE_UPDATED'
  | 'INSTANCE_UPDATE_FAILED'
  | 'INSTANCE_ROLLING_BACK'
  | 'INSTANCE_ROLLED_BACK'
  | 'INSTANCE_ROLLBACK_FAILED';

export interface RolloutStep {
  state: RolloutState;
  actions: RolloutAction[];
  events: { instance: number; event: RolloutEvent; detail?: string }[];
  /** Epoch ms when the rollout needs another look even if no task changes (a watch period ends). */
  wakeAt?: number;
}

export interface StepContext {
  now: number;
  newTaskId: (instance: number) => string;
  /** Start no further instances: a newer commit is waiting; in-flight ones still finish. */
  yielding?: boolean;
}
