/** Field-level differences between two configurations, as dotted paths the user wrote. */
import { formatPath, type FieldPath } from '../spec/yaml.js';
import type { FieldChange } from './types.js';

export function diffConfigs(from: unknown, to: unknown): FieldChange[] {
  const changes: FieldChange[] = [];
  walk(from, to, [], changes);
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
  return JSON.stringify(a) === JSON.stringify(b);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
