/**
 * A plan is a value: what one reconciliation pass will do, job by job. It is computed by
 * a pure function, rendered for people (text, Markdown) and machines (JSON, versioned),
 * and carried out by the deployer.
 */
import type { JobConfig, JobId } from '../jobspec/types.js';
import type { PlanSource } from './source.js';

export const PLAN_FORMAT_VERSION = '1';

/**
 * - create: a job no record or task knows yet.
 * - update: the job's configuration changed; `instances.update` are restarted with the new
 *   instance configuration (empty when only fields like update_config changed).
 * - scale: only the instance count changed.
 * - kill: the job is no longer declared; all its tasks are killed.
 * - heal: instances lost or failed with an unchanged configuration are relaunched.
 * - orphan: tasks carrying Borealis labels that no commit or record declares.
 * - schedule: a cron job is registered with the cron scheduler; nothing is launched now.
 * - reschedule: a cron job's schedule or configuration changed; it applies to the next run.
 * - deschedule: a cron job is no longer declared; a run in progress finishes. (A job that is no
 *   longer cron is planned as a new job; its last run, if one is going, finishes too.)
 * - noop: nothing to do.
 */
export type Action =
  | 'create'
  | 'update'
  | 'scale'
  | 'kill'
  | 'heal'
  | 'orphan'
  | 'schedule'
  | 'reschedule'
  | 'deschedule'
  | 'noop';

export const ACTIONS: readonly Action[] = [
  'create',
  'update',
  'scale',
  'kill',
  'heal',
  'orphan',
  'schedule',
  'reschedule',
  'deschedule',
  'noop',
];

/** A cron job's schedule as a plan shows it. */
export interface CronPlan {
  schedule: string;
  timezone: string;
  collisionPolicy: 'KILL_EXISTING' | 'CANCEL_NEW';
  paused: boolean;
  /** The next three runs after the plan's `now`, epoch ms; empty while paused. */
  nextRuns: number[];
}

export interface InstanceSets {
  /** Instances to launch that did not exist (create, scale up). */
  add: number[];
  /** Instances whose running configuration is replaced. */
  update: number[];
  /** Instances to stop for good (scale down, kill). */
  remove: number[];
  /** Instances to relaunch with their unchanged configuration. */
  heal: number[];
  /** Instances running the desired configuration. */
  unchanged: number[];
}

/** One changed field: `from` is absent for an added field, `to` for a removed one. */
export interface FieldChange {
  path: string;
  from?: unknown;
  to?: unknown;
}

/** An instance whose relaunch waits for its back-off to expire. */
export interface Deferred {
  instance: number;
  /** Epoch milliseconds. */
  retryAt: number;
}

/**
 * An update that failed (or was rolled back) and is not retried on its own: while the
 * commit still asks for that configuration, the job keeps what it ran before (lost
 * instances are relaunched with it). A commit that changes the job, or an explicit
 * `borealis reconcile`, tries again.
 */
export interface HeldUpdate {
  /** The configuration that failed to roll out. */
  configHash: string;
  /** The commit that asked for it. */
  commit: string;
  outcome: 'failed' | 'rolled_back';
  /** Epoch milliseconds. */
  at: number;
  reason?: string;
}

export interface JobChange {
  job: JobId;
  action: Action;
  /** Set when the job's desired configuration is held back after a failed update. */
  held?: HeldUpdate;
  instances: InstanceSets;
  /** Task ids to kill that belong to no declared instance: duplicates and orphans. */
  killTasks: string[];
  deferred: Deferred[];
  /** Field-level changes from the recorded configuration to the desired one. */
  diff: FieldChange[];
  from?: { configHash: string; instances: number };
  to?: { configHash: string; instances: number };
  /** Set on a cron job's change (schedule, reschedule, deschedule, or noop). */
  cron?: CronPlan;
}

export type PlanSummary = Record<Action, number>;

export interface Plan {
  format_version: typeof PLAN_FORMAT_VERSION;
  commit: string;
  /** Set when the plan is of uncommitted files rather than of `commit` itself. */
  source?: PlanSource;
  cluster: string;
  changes: JobChange[];
  summary: PlanSummary;
  /** Set when the plan would kill too much at once; applying it then needs an explicit override. */
  massKill?: { killed: number; running: number; message: string };
  warnings: string[];
  /** Epoch milliseconds of the earliest deferred relaunch, when one is waiting. */
  nextWakeAt?: number;
}

/** What Borealis last applied for a job: the base of field-level diffs and of rollbacks. */
export interface RecordedJob {
  id: JobId;
  commit: string;
  config: JobConfig;
  configHash: string;
  appliedAt: number;
  /** The update that last failed for this job, while the desired configuration is still that one. */
  held?: HeldUpdate;
}
