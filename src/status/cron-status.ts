/**
 * What `status` says about a cron job: its schedule, whether it is paused, its next run,
 * the run going now and the last runs, from the job's record and the scheduler's record
 * (`cron/<job id>`). A cron job's instances come and go with its runs, so they never make
 * it out of sync or unhealthy; its health is the outcome of its last ended run.
 */
import { nextFires } from '../cron/expression.js';
import type { CronJobState, CronOutcome, CronRun, CronTrigger } from '../cron/types.js';
import type { CronCollisionPolicy } from '../jobspec/types.js';
import type { RecordedJob } from '../plan/types.js';

/** How many of a job's runs `status` shows, newest first (`history` shows them all). */
export const STATUS_CRON_RUNS = 5;

export interface CronRunStatus {
  id: string;
  trigger: CronTrigger;
  outcome: CronOutcome;
  scheduled_at: string;
  started_at?: string;
  ended_at?: string;
  /** From start to end, or to now for a run still going; absent for a tick that started none. */
  duration_secs?: number;
  /** For `missed`: how many ticks, and the newest (`scheduled_at` is the oldest). */
  missed_count?: number;
  missed_latest_at?: string;
  detail?: string;
}

export interface CronStatus {
  schedule: string;
  timezone: string;
  /** Absent once the applied commit no longer declares the job. */
  collision_policy?: CronCollisionPolicy;
  paused: boolean;
  /** False once the applied commit no longer schedules the job (its last run may still go on). */
  scheduled: boolean;
  /** Null while paused or descheduled, or when the schedule never fires again. */
  next_run_at: string | null;
  /** The id of the run going now, if any. */
  running: string | null;
  /** When the newest successful run ended, over the whole recorded history. */
  last_success_at: string | null;
  /** The newest `STATUS_CRON_RUNS` entries of the history: runs, and ticks that started none. */
  last_runs: CronRunStatus[];
}

/** A job the cron scheduler looks after: its applied record schedules it, or it has a cron record. */
export function isCronJob(record: RecordedJob | undefined, state: CronJobState | undefined): boolean {
  return record ? record.config.cron_schedule !== undefined : state !== undefined;
}

export function cronStatus(
  record: RecordedJob | undefined,
  state: CronJobState | undefined,
  now: number,
  runs = STATUS_CRON_RUNS,
): CronStatus {
  const config = record?.config.cron_schedule === undefined ? undefined : record.config;
  const schedule = config?.cron_schedule ?? state?.schedule ?? '';
  const timezone = config?.cron_timezone ?? (config ? 'UTC' : (state?.timezone ?? 'UTC'));
  const paused = config?.cron_paused ?? false;
  const next = config && !paused ? nextFires({ expression: schedule, timezone }, now, 1)[0] : undefined;
  const history = state?.runs ?? [];
  const lastSuccess = newestFirst(history).find((run) => run.outcome === 'succeeded')?.endedAt;
  return {
    schedule,
    timezone,
    ...(config ? { collision_policy: config.cron_collision_policy } : {}),
    paused,
    scheduled: config !== undefined,
    next_run_at: next === undefined ? null : iso(next),
    running: history.find((run) => run.outcome === 'running')?.id ?? null,
    last_success_at: lastSuccess === undefined ? null : iso(lastSuccess),
    last_runs: newestFirst(history)
      .slice(0, runs)
      .map((run) => cronRunStatus(run, now)),
  };
}

export function newestFirst(runs: readonly CronRun[]): CronRun[] {
  return [...runs].reverse();
}

export function cronRunStatus(run: CronRun, now: number): CronRunStatus {
  const status: CronRunStatus = {
    id: run.id,
    trigger: run.trigger,
    outcome: run.outcome,
    scheduled_at: iso(run.scheduledAt),
  };
  if (run.startedAt !== undefined) {
    status.started_at = iso(run.startedAt);
    if (run.endedAt !== undefined) status.ended_at = iso(run.endedAt);
    status.duration_secs = Math.max(0, (run.endedAt ?? now) - run.startedAt) / 1000;
  }
  if (run.missed) {
    status.missed_count = run.missed.count;
    status.missed_latest_at = iso(run.missed.latest);
  }
  if (run.detail) status.detail = run.detail;
  return status;
}

/** Outcomes of a run that started and ended, as opposed to a tick that started none. */
const ENDED: ReadonlySet<CronOutcome> = new Set(['succeeded', 'failed', 'killed']);

export interface CronHealth {
  status: 'healthy' | 'degraded';
  detail: string;
}

/**
 * The last ended run decides: succeeded is healthy, failed or killed (an overrun under
 * KILL_EXISTING, or an operator's kill) is degraded. A run going now, or skipped and missed
 * ticks, do not change it (missed ticks are drift).
 */
export function cronHealth(state: CronJobState | undefined): CronHealth {
  const last = newestFirst(state?.runs ?? []).find((run) => ENDED.has(run.outcome));
  if (!last) return { status: 'healthy', detail: 'no run has ended yet' };
  const why = last.detail ? `: ${last.detail}` : '';
  if (last.outcome === 'succeeded')
    return { status: 'healthy', detail: `the last run, ${last.id}, succeeded` };
  const verb = last.outcome === 'failed' ? 'failed' : 'was killed';
  return { status: 'degraded', detail: `the last run, ${last.id}, ${verb}${why}` };
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
