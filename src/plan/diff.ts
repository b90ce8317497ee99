/** Field-level differences between two configurations, as dotted paths the user wrote. */
import { formatPath, type FieldPath } from '../jobspec/yaml.js';
import type { FieldChange } from './types.js';

export function diffConfigs(from: unknown, to: unknown): FieldChange[] {
  const changes: FieldChange[] = [];
  // Nearly every job of a plan is unchanged: comparing without building paths is much cheaper (docs/performance.md).
  if (!equalJson(from, to)) walk(from, to, [], changes);
  return changes;
}

function walk(from: unknown, to: unknown, path: FieldPath, into: FieldChange[]): void {
  if (isRecord(from) && isRecord(to)) {
    const keys = [...new Set([...Object.keys(from), ...Object.keys(to)])].sort();
    for (const key of keys) walk(own(from, key), own(to, key), [...path, key], into);
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

/** A key one side lacks is absent, even one every object inherits (`constructor`, a metadata key). */
function own(record: Record<string, unknown>, key: string): unknown {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

function sameValue(a: unknown, b: unknown): boolean {
  return equalJson(a, b);
}

/**
 * Deep equality of JSON values; key order does not matter, as in the canonical form that is
 * hashed. Plain loops: a plan compares every job's configuration with its record, and
 * `every` with a closure per level was measurably slower (docs/performance.md).
 */
export function equalJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  const isArray = Array.isArray(a);
  if (isArray !== Array.isArray(b)) return false;
  if (isArray) {
    const [left, right] = [a as unknown[], b as unknown[]];
    if (left.length !== right.length) return false;
    for (let index = 0; index < left.length; index++) if (!equalJson(left[index], right[index])) return false;
    return true;
  }
  const left = a as Record<string, unknown>;
  const right = b as Record<string, unknown>;
  let keys = 0;
  for (const key in left) {
    if (!Object.hasOwn(right, key) || !equalJson(left[key], right[key])) return false;
    keys++;
  }
  for (const key in right) if (Object.hasOwn(right, key)) keys--;
  return keys === 0;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
