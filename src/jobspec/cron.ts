/**
 * The job file checks of the cron fields, so a schedule that is wrong or can never fire,
 * or a zone that does not exist, is caught at review time. The schedule language is the
 * one `nextFires` runs (src/cron/expression.ts).
 */
import { isCronProblem, isKnownTimeZone, knownTimeZones, parseCron } from '../cron/expression.js';
import { didYouMean } from './suggest.js';

/** The first problem with a schedule, or undefined when it is valid and can fire. */
export function cronProblem(schedule: string): string | undefined {
  const parsed = parseCron(schedule);
  return isCronProblem(parsed) ? parsed.problem : undefined;
}

/** The problem with a `cron_timezone`, or undefined when Intl knows the zone. */
export function timezoneProblem(name: string): string | undefined {
  if (isKnownTimeZone(name)) return undefined;
  const known = knownTimeZones();
  const guess = knownCity(name, known) ?? didYouMean(name, known);
  const advice = guess ? `did you mean ${guess}?` : 'use an IANA name like Europe/Berlin, or UTC';
  return `unknown time zone ${JSON.stringify(name)}; ${advice}`;
}

/** A zone named by its city alone (`Berlin` → Europe/Berlin). */
function knownCity(name: string, known: readonly string[]): string | undefined {
  const city = name.trim().replaceAll(' ', '_').toLowerCase();
  return known.find((zone) => zone.slice(zone.lastIndexOf('/') + 1).toLowerCase() === city);
}
