/**
 * Five-field cron schedules (Vixie cron's language, see expression-parse.ts) and when they
 * fire, in UTC or an IANA time zone. Pure: the clock is an argument.
 *
 * A schedule fires at each instant whose wall-clock time in its zone matches, except
 * across daylight-saving changes (Vixie cron's rule for fixed-time and wildcard jobs):
 * - spring forward: a wall-clock time the clock skips that day fires once, at the first
 *   instant after the gap (02:30 in Europe/Berlin on the last Sunday of March fires at
 *   03:00 CEST), when the hour field does not start with `*`; several skipped times fire
 *   once. A schedule whose hour field starts with `*` follows the clock: the skipped hour
 *   has no fires.
 * - fall back: a wall-clock time the clock shows twice fires once, at its first occurrence,
 *   when the hour field does not start with `*`; otherwise at both.
 *
 * The search walks local calendar days and, on a matching day, the matching hours and
 * minutes; Intl is asked about a day's offsets only on matching days.
 */
import { isCronProblem, parseCronFields, type ParsedCron } from './expression-parse.js';
import {
  DAY_MS,
  HOUR_MS,
  MINUTE_MS,
  dayOffsets,
  resolveWall,
  wallDayOf,
  zoneNamed,
  type Zone,
} from './expression-zone.js';

export { CRON_SHORTHANDS, isCronProblem, parseCron } from './expression-parse.js';
export type { CronProblem, ParsedCron } from './expression-parse.js';
export { isKnownTimeZone, knownTimeZones } from './expression-zone.js';

/** A schedule as a job declares it. */
export interface CronSchedule {
  /** Five fields: minute hour day-of-month month day-of-week (or a shorthand like `@daily`). */
  expression: string;
  /** IANA zone name; `UTC` when the job names none. */
  timezone: string;
}

/**
 * How far the search looks for a fire: a schedule for 29 February waits up to eight years
 * (2096 to 2104); beyond that it never fires.
 */
export const SEARCH_HORIZON_DAYS = 8 * 366 + 14;

/**
 * The first `count` instants (epoch milliseconds, whole minutes) strictly after `after`
 * at which the schedule fires. Fewer when it never fires again within the search horizon.
 * Throws on an expression or zone the job file checks refuse (a loaded job has neither).
 */
export function nextFires(schedule: CronSchedule, after: number, count: number): number[] {
  const fires: number[] = [];
  if (count <= 0) return fires;
  for (const fire of firesFrom(compile(schedule), after, Number.POSITIVE_INFINITY)) {
    fires.push(fire);
    if (fires.length >= count) break;
  }
  return fires;
}

/** The fires of a schedule in a window (`firesBetween`). */
export interface FiresInWindow {
  /** How many fires the window holds, counted up to `countLimit`. */
  count: number;
  /** True when there were more than `countLimit` (then `count` is the limit, at least 1). */
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
  const compiled = compile(schedule);
  const limit = Math.max(1, countLimit);
  let count = 0;
  let first: number | undefined;
  let latest: number | undefined;
  for (const fire of firesFrom(compiled, after, until)) {
    if (count >= limit) return { count, capped: true, first, latest: latestBefore(compiled, after, until) };
    first ??= fire;
    latest = fire;
    count++;
  }
  return { count, capped: false, first, latest };
}

interface Compiled {
  cron: ParsedCron;
  zone: Zone;
}

function compile(schedule: CronSchedule): Compiled {
  const cron = parseCronFields(schedule.expression);
  if (isCronProblem(cron))
    throw new Error(`cron schedule ${JSON.stringify(schedule.expression)}: ${cron.problem}`);
  return { cron, zone: zoneNamed(schedule.timezone) };
}

/**
 * Fires in (after, until], ascending. Stops after `SEARCH_HORIZON_DAYS` without a fire:
 * a schedule that waits longer never fires again.
 */
function* firesFrom({ cron, zone }: Compiled, after: number, until: number): Generator<number> {
  let last = after;
  let lastFireDay = wallDayOf(zone, after) - DAY_MS;
  const end = until === Number.POSITIVE_INFINITY ? until : wallDayOf(zone, until) + DAY_MS;
  for (
    let day = lastFireDay;
    day <= end && day - lastFireDay <= SEARCH_HORIZON_DAYS * DAY_MS;
    day += DAY_MS
  ) {
    if (!dayMatches(cron, day)) continue;
    for (const fire of firesOnDay(cron, zone, day)) {
      if (fire > until) return;
      if (fire <= last) continue;
      last = fire;
      lastFireDay = day;
      yield fire;
    }
  }
}

/** The newest fire in (after, until], searching back from `until` over the horizon at most. */
function latestBefore({ cron, zone }: Compiled, after: number, until: number): number | undefined {
  const start = wallDayOf(zone, until) + DAY_MS;
  const end = Math.max(start - SEARCH_HORIZON_DAYS * DAY_MS, wallDayOf(zone, after) - DAY_MS);
  for (let day = start; day >= end; day -= DAY_MS) {
    if (!dayMatches(cron, day)) continue;
    const fires = firesOnDay(cron, zone, day).filter((fire) => fire > after && fire <= until);
    if (fires.length > 0) return fires[fires.length - 1];
  }
  return undefined;
}

function dayMatches(cron: ParsedCron, day: number): boolean {
  const date = new Date(day);
  if (!cron.months[date.getUTCMonth() + 1]) return false;
  const dayOfMonth = cron.daysOfMonth[date.getUTCDate()] === true;
  const dayOfWeek = cron.daysOfWeek[date.getUTCDay()] === true;
  return cron.eitherDay ? dayOfMonth || dayOfWeek : dayOfMonth && dayOfWeek;
}

/** The fires of the matching hours and minutes of one local day, ascending. */
function firesOnDay(cron: ParsedCron, zone: Zone, day: number): number[] {
  const offsets = dayOffsets(zone, day);
  const fires: number[] = [];
  for (const hour of cron.hours) {
    for (const minute of cron.minutes) {
      const wall = day + hour * HOUR_MS + minute * MINUTE_MS;
      if (offsets.kind === 'constant') {
        fires.push(wall - offsets.offset);
        continue;
      }
      const instants = resolveWall(wall, offsets);
      if (instants.kind === 'once') fires.push(instants.at);
      else if (instants.kind === 'twice')
        fires.push(instants.first, ...(cron.followsClock ? [instants.second] : []));
      else if (!cron.followsClock) fires.push(instants.resumesAt);
    }
  }
  if (offsets.kind === 'change') fires.sort((a, b) => a - b);
  return fires;
}
