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

export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
