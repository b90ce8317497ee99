/**
 * What the cron scheduler keeps per job, in the state store at `cron/<job id>`, saved
 * before it launches or kills anything (the rollout's crash-safety argument again: task
 * ids are chosen inside the saved state, and launching a saved id twice starts it once).
 * A new leader reads `lastTick` and never starts a tick at or before it: that is what makes
 * a tick run exactly once across restarts and failover (the write is fenced in ZooKeeper).
 */
import type { JobId } from '../jobspec/types.js';

export const CRON_RECORD_FORMAT = 1;

/** How a run ended, or why a tick started none. */
export type CronOutcome =
  /** Still going: some instance is not yet finished or failed for good. */
  | 'running'
  /** Every instance finished successfully. */
  | 'succeeded'
  /** Some instance failed `max_task_failures` times (the others were left to end). */
  | 'failed'
  /** Killed: by the next tick under KILL_EXISTING, or by an operator. */
  | 'killed'
  /** A tick under CANCEL_NEW while the last run was still going: no run started. */
  | 'skipped'
  /** Ticks that passed while no leader was up (not run late). */
  | 'missed';

export const CRON_OUTCOMES: readonly CronOutcome[] = [
  'running',
  'succeeded',
  'failed',
  'killed',
  'skipped',
  'missed',
];

/** What started a run. */
export type CronTrigger = 'schedule' | 'manual';

/** One instance of a run: its current task and how often it failed in this run. */
export interface CronInstance {
  instance: number;
  /** The task of the current attempt; saved before it is launched. */
  taskId: string;
  /** Failed or lost attempts so far in this run. */
  failures: number;
  /** Set once the instance ended for good in this run. */
  ended?: 'FINISHED' | 'FAILED' | 'KILLED';
}

/** One entry of a job's run history: a run, or a tick that started none. */
export interface CronRun {
  /** Unique per job: `<trigger>-<scheduled time as yyyymmddThhmmZ>`, plus a suffix for manual runs. */
  id: string;
  trigger: CronTrigger;
  /** Epoch ms of the tick (a manual run: of the request). */
  scheduledAt: number;
  /** Epoch ms the run was recorded and its tasks launched; absent for skipped and missed. */
  startedAt?: number;
  endedAt?: number;
  outcome: CronOutcome;
  /** The configuration it ran: the job record's at the time. */
  configHash?: string;
  commit?: string;
  instances: CronInstance[];
  /** For `missed`: how many ticks, and the newest (`scheduledAt` is the oldest). */
  missed?: { count: number; latest: number };
  /** One sentence: why it was skipped, killed or failed. */
  detail?: string;
}

/** `cron/<job id>`: the scheduler's memory of one job. */
export interface CronJobState {
  format: typeof CRON_RECORD_FORMAT;
  jobId: JobId;
  /**
   * Epoch ms of the newest tick decided (run, skipped or missed). No tick at or before it
   * is ever started again.
   */
  lastTick: number;
  /** The schedule `lastTick` was reckoned by; a new one restarts nothing. */
  schedule: string;
  timezone: string;
  /**
   * Paused or descheduled when last looked at: ticks then are nobody's, so when the job
   * runs again they are counted from when that was applied, not reported missed.
   */
  dormant?: boolean;
  /** Newest last, bounded (`CRON_HISTORY_LIMIT`). */
  runs: CronRun[];
}

/** Runs kept per job; the oldest ended ones go first. */
export const CRON_HISTORY_LIMIT = 20;
