/**
 * Wall-clock time in an IANA zone, from Intl (Node has full ICU). Times here are epoch
 * milliseconds; a "wall" time is the local date and time written as if it were UTC, so
 * calendar arithmetic on it is plain `Date.UTC` arithmetic.
 */

export const MINUTE_MS = 60_000;
export const HOUR_MS = 60 * MINUTE_MS;
export const DAY_MS = 24 * HOUR_MS;

/**
 * How the wall clock of one local day maps to instants: one offset all day, or a change
 * of offset at `change` (the first instant of the new offset) somewhere near the day.
 */
export type DayOffsets =
  { kind: 'constant'; offset: number } | { kind: 'change'; before: number; after: number; change: number };

/** A wall time resolved to instants: none (skipped by the clock), one, or two (repeated). */
export type WallInstants =
  | { kind: 'skipped'; resumesAt: number }
  | { kind: 'once'; at: number }
  | { kind: 'twice'; first: number; second: number };

export interface Zone {
  /** Offset of the wall clock from UTC at `instant`, in milliseconds. */
  offsetAt(instant: number): number;
}

const UTC_ZONE: Zone = { offsetAt: () => 0 };
const zones = new Map<string, Zone>();

/** The zone named `name`; throws a RangeError when Intl does not know it. */
export function zoneNamed(name: string): Zone {
  if (name === 'UTC') return UTC_ZONE;
  let zone = zones.get(name);
  if (!zone) {
    zone = intlZone(name);
    zones.set(name, zone);
  }
  return zone;
}

export function isKnownTimeZone(name: string): boolean {
  try {
    zoneNamed(name);
    return true;
  } catch {
    return false;
  }
}

/** Every zone name Intl lists, and `UTC` (which it accepts but does not list). */
export function knownTimeZones(): string[] {
  return ['UTC', ...Intl.supportedValuesOf('timeZone')];
}

function intlZone(name: string): Zone {
  const format = new Intl.DateTimeFormat('en-US', {
    timeZone: name,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
  });
  return {
    offsetAt(instant) {
      const part: Record<string, number> = {};
      for (const { type, value } of format.formatToParts(instant)) part[type] = Number(value);
      const wall = Date.UTC(part.year!, part.month! - 1, part.day, part.hour, part.minute, part.second);
      return wall - Math.floor(instant / 1000) * 1000;
    },
  };
}

/** The local day (its wall midnight) holding `instant`. */
export function wallDayOf(zone: Zone, instant: number): number {
  const wall = instant + zone.offsetAt(instant);
  return wall - mod(wall, DAY_MS);
}

/**
 * The offsets of the local day starting at wall midnight `day`. Offsets lie within ±14 h,
 * so the instants a day before and two days after its midnight fall outside it; equal
 * offsets there mean none changed in between (zones change at most twice a year).
 */
export function dayOffsets(zone: Zone, day: number): DayOffsets {
  let low = day - DAY_MS;
  let high = day + 2 * DAY_MS;
  const before = zone.offsetAt(low);
  if (zone.offsetAt(high) === before) return { kind: 'constant', offset: before };
  while (high - low > MINUTE_MS) {
    const middle = low + Math.floor((high - low) / 2 / MINUTE_MS) * MINUTE_MS;
    if (zone.offsetAt(middle) === before) low = middle;
    else high = middle;
  }
  return { kind: 'change', before, after: zone.offsetAt(high), change: high };
}

/** The instants at which the wall clock shows `wall`, on a day with a change of offset. */
export function resolveWall(wall: number, offsets: Extract<DayOffsets, { kind: 'change' }>): WallInstants {
  const early = wall - offsets.before;
  const late = wall - offsets.after;
  const earlyValid = early < offsets.change;
  const lateValid = late >= offsets.change;
  if (earlyValid && lateValid) return { kind: 'twice', first: early, second: late };
  if (earlyValid) return { kind: 'once', at: early };
  if (lateValid) return { kind: 'once', at: late };
  return { kind: 'skipped', resumesAt: offsets.change };
}

function mod(value: number, divisor: number): number {
  return ((value % divisor) + divisor) % divisor;
}
