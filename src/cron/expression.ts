/**
 * Five-field cron schedules (Vixie cron's language) and when they fire, in UTC or an IANA
 * time zone. Pure: the clock is an argument.
 *
 * STUB: the signatures below are the contract other modules code against; the
 * implementation is being written (issue 23).
 */

/** A schedule as a job declares it. */
export interface CronSchedule {
  /** Five fields: minute hour day-of-month month day-of-week. */
  expression: string;
  /** IANA zone name; `UTC` when the job names none. */
  timezone: string;
}

/**
 * The first `count` instants (epoch milliseconds, whole minutes) strictly after `after`
 * at which the schedule fires. Fewer when it never fires again within the search horizon.
 */
export function nextFires(schedule: CronSchedule, after: number, count: number): number[] {
  void schedule;
  void after;
  void count;
  throw new Error('nextFires: not implemented yet');
}

/** The fires of a schedule in a window (`firesBetween`). */
export interface FiresInWindow {
  /** How many fires the window holds, counted up to `countLimit`. */
  count: number;
  /** True when there were more than `countLimit` (then `count` is the limit). */
  capped: boolean;
  /** The oldest and the newest fire in the window; absent when `count` is 0. */
  first?: number;
  latest?: number;
}

/**
 * The fires in (after, until]: how many, the oldest and the newest. A daemon down for a
 * year with a `* * * * *` job must not walk half a million minutes one by one, so the
 * count stops at `countLimit` (the newest fire is still exact).
 */
export function firesBetween(
  schedule: CronSchedule,
  after: number,
  until: number,
  countLimit: number,
): FiresInWindow {
  void schedule;
  void after;
  void until;
  void countLimit;
  throw new Error('firesBetween: not implemented yet');
}
