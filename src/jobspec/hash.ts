/**
 * The identity of an instance configuration: SHA-256 over canonical JSON (keys sorted at
 * every level), so key order, whitespace, file layout and spelled-out defaults never
 * change it. 16 hex digits keep it readable in status output; collisions only matter
 * between configurations of one job.
 */
import { createHash } from 'node:crypto';
import type { InstanceConfig } from './types.js';

export function configHash(instance: InstanceConfig): string {
  return createHash('sha256').update(canonicalJson(instance)).digest('hex').slice(0, 16);
}

/** Loops rather than entries, filters and joins: hashing was a large share of a cold load. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) {
    let list = '[';
    for (let index = 0; index < value.length; index++) {
      if (index > 0) list += ',';
      list += (canonicalJson(value[index]) as string | undefined) ?? ''; // as JSON.stringify writes a hole
    }
    return `${list}]`;
  }
  const record = value as Record<string, unknown>;
  let map = '{';
  for (const key of Object.keys(record).sort()) {
    const item = record[key];
    if (item === undefined) continue;
    if (map.length > 1) map += ',';
    map += `${JSON.stringify(key)}:${canonicalJson(item)}`;
  }
  return `${map}}`;
}
