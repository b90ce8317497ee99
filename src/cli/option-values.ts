/**
 * Parsers for option values: a value that is not what the option means is a usage error
 * (commander's InvalidArgumentError: one line, exit 64), never silently NaN or zero.
 */
import { InvalidArgumentError } from 'commander';

/** Seconds, fractions allowed, more than zero. */
export function positiveSeconds(value: string): number {
  const parsed = numberOf(value);
  if (!Number.isFinite(parsed) || parsed <= 0)
    throw new InvalidArgumentError('Expected a positive number of seconds.');
  return parsed;
}

/** A count of at least one. */
export function positiveInteger(value: string): number {
  const parsed = numberOf(value);
  if (!Number.isSafeInteger(parsed) || parsed < 1)
    throw new InvalidArgumentError('Expected a whole number of at least 1.');
  return parsed;
}

/** A count that may be zero. */
export function wholeNumber(value: string): number {
  const parsed = numberOf(value);
  if (!Number.isSafeInteger(parsed) || parsed < 0)
    throw new InvalidArgumentError('Expected a whole number (0 or more).');
  return parsed;
}

export function boolean(value: string): boolean {
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw new InvalidArgumentError('Expected true or false.');
}

/** `Number('')` and `Number(' ')` are 0; an empty value is not a number. */
function numberOf(value: string): number {
  return value.trim() === '' ? Number.NaN : Number(value);
}
