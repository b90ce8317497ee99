/**
 * One record file: `{"version": N, "value": ...}`, pretty-printed so operators can read it.
 * Decoding is strict: a file that is not exactly this shape is reported, never guessed at.
 */
import { StateCorruptError, type Versioned } from '../types.js';

/** Throws for values JSON cannot hold at the top level (they would come back as a missing value). */
export function assertJsonValue(key: string, value: unknown): void {
  if (value === undefined || typeof value === 'function' || typeof value === 'symbol') {
    throw new TypeError(`state value for ${key} is not JSON (${typeof value})`);
  }
}

export function encodeRecord(record: Versioned): string {
  return `${JSON.stringify({ version: record.version, value: record.value }, null, 2)}\n`;
}

export function isVersioned(data: unknown): data is Versioned {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return false;
  const keys = Object.keys(data).sort();
  if (keys.length !== 2 || keys[0] !== 'value' || keys[1] !== 'version') return false;
  const version = (data as { version: unknown }).version;
  return Number.isSafeInteger(version) && (version as number) >= 0;
}

export function decodeRecord<T>(key: string, path: string, text: string): Versioned<T> {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new StateCorruptError(key, path, error);
  }
  if (!isVersioned(data)) {
    throw new StateCorruptError(key, path, new Error('expected {"version": <integer ≥ 0>, "value": ...}'));
  }
  return data as Versioned<T>;
}
