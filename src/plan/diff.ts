/** Field-level differences between two configurations, as dotted paths the user wrote. */
import { formatPath, type FieldPath } from '../spec/yaml.js';
import type { FieldChange } from './types.js';

export function diffConfigs(from: unknown, to: unknown): FieldChange[] {
  const changes: FieldChange[] = [];
  // Nearly every job of a plan is unchanged: comparing without building paths is ~10x cheaper.
  if (!equalJson(from, to)) walk(from, to, [], changes);
  return changes;
}

function walk(from: unknown, to: unknown, path: FieldPath, into: FieldChange[]): void {
  if (isRecord(from) && isRecord(to)) {
    const keys = [...new Set([...Object.keys(from), ...Object.keys(to)])].sort();
    for (const key of keys) walk(from[key], to[key], [...path, key], into);
    return;
  }
  if (Array.isArray(from) && Array.isArray(to) && from.every(isRecord) && to.every(isRecord)) {
    // Lists of maps (processes, order constraints) diff element by element, so a changed
    // command line reads `task.processes[1].cmdline` rather than the whole list.
    for (let index = 0; index < Math.max(from.length, to.length); index++) {
      walk(from[index], to[index], [...path, index], into);
    }
    return;
  }
  if (sameValue(from, to)) return;
  const change: FieldChange = { path: formatPath(path) };
  if (from !== undefined) change.from = from;
  if (to !== undefined) change.to = to;
  into.push(change);
}

function sameValue(a: unknown, b: unknown): boolean {
  return equalJson(a, b);
}

/** Deep equality of JSON values; key order does not matter, as in the canonical form that is hashed. */
export function equalJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((item, index) => equalJson(item, b[index]));
  }
  const left = a as Record<string, unknown>;
  const right = b as Record<string, unknown>;
  const keys = Object.keys(left);
  if (keys.length !== Object.keys(right).length) return false;
  return keys.every((key) => Object.hasOwn(right, key) && equalJson(left[key], right[key]));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
