/**
 * Parsers for option values: a value that is not what the option means is a usage error
 * (commander's InvalidArgumentError: one line, exit 64), never silently NaN or zero.
 */
import { InvalidArgumentError } from 'commander';
import { sizeToMiB } from '../jobspec/sizes.js';

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

/** Bytes, written as a size (`1MiB`, `512KB`) or a plain number of bytes. */
export function byteSize(value: string): number {
  const plain = numberOf(value);
  const bytes = Number.isFinite(plain) ? plain : (sizeToMiB(value.trim()) ?? Number.NaN) * 2 ** 20;
  if (!Number.isSafeInteger(Math.round(bytes)) || bytes < 1)
    throw new InvalidArgumentError('Expected a size such as 1MiB, 64MiB or 500KB.');
  return Math.round(bytes);
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
