/**
 * Resource bookkeeping of the simulated agents: a pool is cpus/mem/disk scalars plus port
 * ranges. Scalars are kept in Mesos's fixed-point precision (3 decimals, src/common/values.cpp).
 */
import { isObject } from './schema.js';

export type Range = readonly [number, number];

export interface Pool {
  cpus: number;
  mem: number;
  disk: number;
  ports: Range[];
}

const SCALARS = ['cpus', 'mem', 'disk'] as const;
type ScalarName = (typeof SCALARS)[number];

export const emptyPool = (): Pool => ({ cpus: 0, mem: 0, disk: 0, ports: [] });

const round = (n: number): number => Math.round(n * 1000) / 1000;

export function isEmpty(p: Pool): boolean {
  return p.cpus <= 0 && p.mem <= 0 && p.disk <= 0 && p.ports.length === 0;
}

export function add(a: Pool, b: Pool): Pool {
  return {
    cpus: round(a.cpus + b.cpus),
    mem: round(a.mem + b.mem),
    disk: round(a.disk + b.disk),
    ports: normalize([...a.ports, ...b.ports]),
  };
}

/** Every pool added up, the ports merged once. */
export function sum(pools: readonly Pool[]): Pool {
  let cpus = 0;
  let mem = 0;
  let disk = 0;
  for (const pool of pools) {
    cpus += pool.cpus;
    mem += pool.mem;
    disk += pool.disk;
  }
  return {
    cpus: round(cpus),
    mem: round(mem),
    disk: round(disk),
    ports: normalize(pools.flatMap((pool) => pool.ports)),
  };
}

/** `a - b`; callers check `contains(a, b)` first. */
export function subtract(a: Pool, b: Pool): Pool {
  let ports = a.ports;
  for (const r of b.ports) ports = ports.flatMap((p) => cut(p, r));
  return {
    cpus: round(a.cpus - b.cpus),
    mem: round(a.mem - b.mem),
    disk: round(a.disk - b.disk),
    ports,
  };
}

export function contains(a: Pool, b: Pool): boolean {
  const scalarsFit = SCALARS.every((s) => round(a[s] - b[s]) >= 0);
  const portsFit = b.ports.every(([lo, hi]) => a.ports.some(([x, y]) => x <= lo && hi <= y));
  return scalarsFit && portsFit && !overlaps(b.ports);
}

function overlaps(ranges: Range[]): boolean {
  const sorted = [...ranges].sort((x, y) => x[0] - y[0]);
  return sorted.some((r, i) => i > 0 && r[0] <= sorted[i - 1]![1]);
}

function cut([lo, hi]: Range, [x, y]: Range): Range[] {
  if (y < lo || x > hi) return [[lo, hi]];
  const out: Range[] = [];
  if (lo < x) out.push([lo, x - 1]);
  if (y < hi) out.push([y + 1, hi]);
  return out;
}

function normalize(ranges: Range[]): Range[] {
  const sorted = [...ranges].sort((x, y) => x[0] - y[0]);
  const out: [number, number][] = [];
  for (const [lo, hi] of sorted) {
    const last = out[out.length - 1];
    if (last !== undefined && lo <= last[1] + 1) last[1] = Math.max(last[1], hi);
    else out.push([lo, hi]);
  }
  return out;
}

/**
 * A Resource[] from a TaskInfo/ExecutorInfo as a pool. Returns an error string for resources
 * the simulated agents do not have (e.g. gpus), which makes the task invalid.
 */
export function poolOf(resources: unknown): Pool | string {
  const pool = emptyPool();
  for (const r of Array.isArray(resources) ? resources : []) {
    if (!isObject(r)) continue;
    const name = r.name;
    if (name === 'ports') {
      pool.ports.push(...rangesOf(r.ranges));
    } else if (typeof name === 'string' && (SCALARS as readonly string[]).includes(name)) {
      const value = isObject(r.scalar) ? Number(r.scalar.value) : NaN;
      if (!Number.isFinite(value) || value < 0) return `invalid scalar for '${name}'`;
      pool[name as ScalarName] = round(pool[name as ScalarName] + value);
    } else {
      return `resource '${String(name)}' is not offered by this agent`;
    }
  }
  return pool;
}

function rangesOf(ranges: unknown): Range[] {
  if (!isObject(ranges) || !Array.isArray(ranges.range)) return [];
  return ranges.range.filter(isObject).map((r): Range => [Number(r.begin), Number(r.end)]);
}

/** The pool as Mesos v1 `Resource` JSON, in the corrected fixtures' key order. */
export function resourcesJson(pool: Pool, role: string | undefined): Record<string, unknown>[] {
  const head = role === undefined ? {} : { allocation_info: { role } };
  const out: Record<string, unknown>[] = [];
  for (const name of SCALARS) {
    if (pool[name] > 0) out.push({ ...head, name, type: 'SCALAR', scalar: { value: pool[name] }, role: '*' });
  }
  if (pool.ports.length > 0) {
    const range = pool.ports.map(([begin, end]) => ({ begin, end }));
    out.push({ ...head, name: 'ports', type: 'RANGES', ranges: { range }, role: '*' });
  }
  return out;
}
