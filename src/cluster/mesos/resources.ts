/**
 * An offer's claimable resources and how they shrink as instances are placed on it.
 *
 * Scalars are kept in thousandths, as Mesos itself rounds scalars to three decimals: summing
 * `0.1` cpus ten times in floating point would otherwise leave an offer of `1` cpu short.
 */
import type { Resources } from '../../jobspec/types.js';
import type { MesosOffer, MesosRange, MesosResource } from './offer.js';

export type ScalarName = 'cpus' | 'mem' | 'disk' | 'gpus';

export const SCALAR_NAMES: readonly ScalarName[] = ['cpus', 'mem', 'disk', 'gpus'];

/** Reasons use Aurora's names so they speak the language of the job file. */
const AURORA_NAMES: Record<ScalarName, string> = { cpus: 'cpu', mem: 'ram', disk: 'disk', gpus: 'gpu' };

/** What one instance needs, in the units an offer is accounted in. */
export interface Demand {
  milli: Record<ScalarName, number>;
  /** Distinct port names, in the order they are assigned. */
  ports: string[];
}

export interface Claim {
  resources: MesosResource[];
  ports: Record<string, number>;
}

const toMilli = (value: number): number => Math.round(value * 1000);

/** Equal keys for equal demands, so placement can share what it learnt about one demand. */
export function demandKey(demand: Demand): string {
  const { cpus, mem, disk, gpus } = demand.milli;
  return `${cpus},${mem},${disk},${gpus},${demand.ports.length}`;
}

export function demandOf(resources: Resources): Demand {
  return {
    milli: {
      cpus: toMilli(resources.cpu),
      mem: toMilli(resources.ram),
      disk: toMilli(resources.disk),
      gpus: toMilli(resources.gpu),
    },
    ports: [...new Set(resources.ports)],
  };
}

/** The role a resource is reserved to; `*` when unreserved. */
export function reservationRole(resource: MesosResource): string {
  const refined = resource.reservations;
  if (refined !== undefined && refined.length > 0) return refined[refined.length - 1]?.role ?? '*';
  return resource.role ?? '*';
}

/**
 * The role an offer is allocated to: `allocation_info.role` for MULTI_ROLE frameworks; for
 * others Mesos strips it, and the only role in sight is that of a reserved resource.
 */
export function offerRole(offer: MesosOffer): string | undefined {
  if (offer.allocation_info?.role !== undefined) return offer.allocation_info.role;
  for (const resource of offer.resources ?? []) {
    const role = reservationRole(resource);
    if (role !== '*') return role;
  }
  return undefined;
}

/**
 * Whether a task launched from this offer may claim the resource. Revocable, shared,
 * provider and non-root disk resources are left alone: each needs launch semantics
 * (revocable tier, volumes, whole-mount claims) that plain instances do not have.
 */
function claimable(resource: MesosResource, allocationRole: string | undefined): boolean {
  if (resource.revocable || resource.shared || resource.disk || resource.provider_id) return false;
  const allocated = resource.allocation_info?.role;
  if (allocationRole !== undefined && allocated !== undefined && allocated !== allocationRole) return false;
  const reserved = reservationRole(resource);
  const role = allocationRole ?? allocated;
  // Without an allocation role (no MULTI_ROLE) the offer only holds the framework's own role.
  if (reserved === '*' || role === undefined) return true;
  // Hierarchical roles: a reservation to `eng` may be allocated to `eng/web`.
  return role === reserved || role.startsWith(`${reserved}/`);
}

interface ScalarSource {
  resource: MesosResource;
  milli: number;
}

interface PortSource {
  resource: MesosResource;
  /** Free ranges, ascending, shrunk from the front as ports are taken. */
  ranges: MesosRange[];
}

/** Reserved resources first: they exist for this role, so unreserved ones stay for others. */
function reservedFirst<T extends { resource: MesosResource }>(sources: T[]): T[] {
  const reserved = sources.filter((s) => reservationRole(s.resource) !== '*');
  return [...reserved, ...sources.filter((s) => reservationRole(s.resource) === '*')];
}

function rangeSize(range: MesosRange): number {
  return range.end - range.begin + 1;
}

/** Consecutive ports as Mesos ranges. */
function toRanges(ports: number[]): MesosRange[] {
  const ranges: MesosRange[] = [];
  for (const port of ports) {
    const last = ranges[ranges.length - 1];
    if (last !== undefined && last.end + 1 === port) last.end = port;
    else ranges.push({ begin: port, end: port });
  }
  return ranges;
}

/** What makes a claimed resource the same resource Mesos offered (the rest were not claimable). */
const IDENTITY = ['role', 'reservation', 'reservations', 'allocation_info'] as const;

/**
 * A copy of the resource carrying only `value`, keeping its role, reservations and
 * allocation. Copied field by field: placement builds tens of thousands of these.
 */
function withValue(resource: MesosResource, value: Pick<MesosResource, 'scalar' | 'ranges'>): MesosResource {
  const copy: MesosResource = { name: resource.name, type: resource.type, ...value };
  for (const field of IDENTITY) {
    if (resource[field] !== undefined) Object.assign(copy, { [field]: resource[field] });
  }
  return copy;
}

/** The remaining claimable resources of one offer. Mutable: placement owns its copies. */
export class OfferResources {
  private readonly scalars = new Map<ScalarName, ScalarSource[]>();
  private readonly free: Record<ScalarName, number> = { cpus: 0, mem: 0, disk: 0, gpus: 0 };
  private readonly portSources: PortSource[];
  private freePorts = 0;

  constructor(offer: MesosOffer) {
    const role = offer.allocation_info?.role;
    const usable = (offer.resources ?? []).filter((r) => claimable(r, role));
    for (const name of SCALAR_NAMES) {
      const sources = usable
        .filter((r) => r.name === name && r.type === 'SCALAR' && r.scalar !== undefined)
        .map((resource) => ({ resource, milli: toMilli(resource.scalar?.value ?? 0) }));
      this.scalars.set(name, reservedFirst(sources));
      this.free[name] = sources.reduce((sum, s) => sum + s.milli, 0);
    }
    const ports = usable
      .filter((r) => r.name === 'ports' && r.type === 'RANGES')
      .map((resource) => ({
        resource,
        ranges: [...(resource.ranges?.range ?? [])]
          .filter((r) => r.end >= r.begin)
          .sort((a, b) => a.begin - b.begin)
          .map((r) => ({ ...r })),
      }));
    this.portSources = reservedFirst(ports);
    this.freePorts = ports.reduce((sum, s) => sum + s.ranges.reduce((n, r) => n + rangeSize(r), 0), 0);
  }

  /** Aurora names of the resources this offer lacks for `demand`; empty when it fits. */
  shortages(demand: Demand): string[] {
    const short = SCALAR_NAMES.filter((name) => demand.milli[name] > this.free[name]).map(
      (name) => AURORA_NAMES[name],
    );
    if (demand.ports.length > this.freePorts) short.push('ports');
    return short;
  }

  /** The hot path of placement: a plain loop, no allocation. */
  fits(demand: Demand): boolean {
    if (demand.ports.length > this.freePorts) return false;
    for (const name of SCALAR_NAMES) if (demand.milli[name] > this.free[name]) return false;
    return true;
  }

  /** Takes `demand` out of the offer; call only when it `fits`. */
  claim(demand: Demand): Claim {
    const resources = SCALAR_NAMES.flatMap((name) => this.claimScalar(name, demand.milli[name]));
    const ports: Record<string, number> = {};
    const taken = new Map<PortSource, number[]>();
    for (const name of demand.ports) {
      const [source, port] = this.takePort();
      ports[name] = port;
      taken.set(source, [...(taken.get(source) ?? []), port]);
    }
    for (const [source, numbers] of taken) {
      resources.push(withValue(source.resource, { ranges: { range: toRanges(numbers) } }));
    }
    return { resources, ports };
  }

  private claimScalar(name: ScalarName, wanted: number): MesosResource[] {
    const claimed: MesosResource[] = [];
    let left = wanted;
    for (const source of this.scalars.get(name) ?? []) {
      if (left <= 0) break;
      const take = Math.min(left, source.milli);
      if (take <= 0) continue;
      source.milli -= take;
      left -= take;
      claimed.push(withValue(source.resource, { scalar: { value: take / 1000 } }));
    }
    this.free[name] -= wanted;
    return claimed;
  }

  /** The lowest free port, so the same offers always yield the same ports. */
  private takePort(): [PortSource, number] {
    for (const source of this.portSources) {
      const range = source.ranges[0];
      if (range === undefined) continue;
      const port = range.begin;
      if (range.begin === range.end) source.ranges.shift();
      else range.begin += 1;
      this.freePorts -= 1;
      return [source, port];
    }
    throw new Error('no free port left: claim() called without fits()');
  }
}
