/**
 * A cron job as a plan shows it: its schedule and the next runs the cron scheduler will
 * start (src/cron/). The planner never launches a cron job's tasks; it only tells whether
 * the job is scheduled, rescheduled or descheduled, and when it runs next.
 */
import { nextFires } from '../cron/expression.js';
import type { JobConfig } from '../jobspec/types.js';
import type { CronPlan } from './types.js';

/** How many upcoming runs a plan lists. */
export const NEXT_RUNS_SHOWN = 3;

/** The zone a schedule is read in when the job names none. */
export const DEFAULT_CRON_TIMEZONE = 'UTC';

/** A job with a schedule: the cron scheduler runs it, the planner never starts it. */
export function isCronJob(config: JobConfig): boolean {
  return config.cron_schedule !== undefined;
}

/**
 * A cron job's schedule and its next runs strictly after `now`, or none: while paused, and
 * when `upcoming` is false (a job being descheduled runs no more). Undefined for a job
 * without a schedule.
 */
export function cronPlanOf(config: JobConfig, now: number, upcoming = true): CronPlan | undefined {
  const expression = config.cron_schedule;
  if (expression === undefined) return undefined;
  const timezone = config.cron_timezone ?? DEFAULT_CRON_TIMEZONE;
  const runs = upcoming && !config.cron_paused;
  return {
    schedule: expression,
    timezone,
    collisionPolicy: config.cron_collision_policy,
    paused: config.cron_paused,
    nextRuns: runs ? nextFires({ expression, timezone }, now, NEXT_RUNS_SHOWN) : [],
  };
}
