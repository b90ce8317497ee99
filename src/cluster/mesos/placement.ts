/**
 * Placement: which pending instance launches on which Mesos offer, with exactly which
 * resources. Pure and deterministic (no clock, no randomness): the same input always gives
 * the same placement, so a scheduler that crashes mid-cycle and replays the cycle chooses
 * the same hosts and ports.
 *
 * Instances are placed in the order given (the caller orders by priority). Each instance
 * goes to the feasible offer whose spread value (default: host) runs the fewest instances of
 * its job, ties broken by hostname, then offer id. Several instances may share one offer;
 * its remaining resources shrink as they are placed.
 */
import type { JobId, JobSpec, Resources } from '../../jobspec/types.js';
import type { PlannedLaunch } from '../types.js';
import {
  DEDICATED,
  limitVetoes,
  parseRules,
  staticVetoes,
  withinLimits,
  type Attributes,
  type Counter,
  type Rules,
} from './constraints.js';
import { attributeValues, type MesosOffer, type MesosResource } from './offer.js';
import { demandKey, demandOf, OfferResources, offerRole, type Demand } from './resources.js';

export interface PendingInstance {
  jobId: JobId;
  instance: number;
  resources: Resources;
  /** The job's Aurora constraints. */
  constraints: Record<string, string>;
  /** Mesos role the instance must run under; any role an offer is allocated to when unset. */
  role?: string;
  /** The job's `dedicated` constraint; overrides `constraints.dedicated` when both are set. */
  dedicatedTo?: string;
}

/** An active task, counted for `limit:N` and spreading. */
export interface RunningTask {
  jobId: JobId;
  agentId: string;
  hostname: string;
  /** The agent's attributes, each with its values; `host` defaults to `hostname`. */
  attributes: Readonly<Record<string, readonly string[]>>;
}

export interface Launch {
  offerId: string;
  agentId: string;
  hostname: string;
  instance: PendingInstance;
  /** Exactly what to claim from the offer, port ranges included. */
  resources: MesosResource[];
  ports: Record<string, number>;
  /** The offer's spread value already runs an instance of the job: the best these offers allowed. */
  crowded: boolean;
}

export interface Unplaced {
  instance: PendingInstance;
  /** Why offers were vetoed, aggregated: `insufficient cpu on 12 offers`. */
  reasons: string[];
}

export interface Placement {
  launches: Launch[];
  unplaced: Unplaced[];
  unusedOfferIds: string[];
}

export interface PlacementOptions {
  /** Attribute that spreads one job's instances; default `host` (the offer's hostname). */
  spreadBy?: string;
}

/** A launch waiting for an offer, as placement sees it. */
export function pendingOf(launch: PlannedLaunch): PendingInstance {
  return {
    jobId: launch.jobId,
    instance: launch.instance,
    resources: launch.config.task.resources,
    constraints: launch.config.constraints,
  };
}

/** The pending instances of a job, from its normalised configuration. */
export function pendingFromJob(job: JobSpec, instances: number[], role?: string): PendingInstance[] {
  const { task } = job.instance;
  // One copy shared by the job's instances: placement reads them and caches by identity.
  const resources = { ...task.resources, ports: [...task.resources.ports] };
  const constraints = { ...job.instance.constraints };
  const dedicatedTo = constraints[DEDICATED];
  return instances.map((instance) => ({
    jobId: job.id,
    instance,
    resources,
    constraints,
    ...(role === undefined ? {} : { role }),
    ...(dedicatedTo === undefined ? {} : { dedicatedTo }),
  }));
}

/**
 * Pseudo-attribute holding an agent's spread value, counted like any limit attribute. An
 * agent lacking the spread attribute is spread by its hostname, in a namespace of its own so
 * a host named like a rack is not counted with it.
 */
const SPREAD = '\u0000spread';

function withSpread(attributes: Map<string, string[]>, spreadBy: string, hostname: string): Attributes {
  const values = attributes.get(spreadBy);
  const spread = values !== undefined && values.length > 0 ? values : [`\u0000host:${hostname}`];
  return attributes.set(SPREAD, spread);
}

function runningAttributes(task: RunningTask, spreadBy: string): Attributes {
  const attributes = new Map(Object.entries(task.attributes).map(([k, v]) => [k, [...v]]));
  if (!attributes.has('host')) attributes.set('host', [task.hostname]);
  return withSpread(attributes, spreadBy, task.hostname);
}

/** One offer during placement; `order` is its rank by hostname, then offer id. */
interface Slot {
  offer: MesosOffer;
  order: number;
  attributes: Attributes;
  role: string | undefined;
  resources: OfferResources;
  used: boolean;
}

function slotsOf(offers: readonly MesosOffer[], spreadBy: string): Slot[] {
  const sorted = [...offers].sort(
    (a, b) => compare(a.hostname, b.hostname) || compare(a.id.value, b.id.value),
  );
  return sorted.map((offer, order) => ({
    offer,
    order,
    attributes: withSpread(attributeValues(offer), spreadBy, offer.hostname),
    role: offerRole(offer),
    resources: new OfferResources(offer),
    used: false,
  }));
}

/** Code-unit order, not locale order: the result must not depend on the machine's locale. */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A job's active instances per attribute value, for the attributes its rules count. */
class JobCounts implements Counter {
  private readonly counts = new Map<string, Map<string, number>>();

  constructor(attributes: Iterable<string>) {
    for (const attribute of attributes) this.counts.set(attribute, new Map());
  }

  count(attribute: string, value: string): number {
    return this.counts.get(attribute)?.get(value) ?? 0;
  }

  add(attributes: Attributes): void {
    for (const [attribute, byValue] of this.counts) {
      for (const value of attributes.get(attribute) ?? []) byValue.set(value, (byValue.get(value) ?? 0) + 1);
    }
  }

  /** How loaded an agent is for spreading: the busiest of its spread values. */
  load(attributes: Attributes): number {
    let load = 0;
    for (const value of attributes.get(SPREAD) ?? []) load = Math.max(load, this.count(SPREAD, value));
    return load;
  }
}

function effectiveConstraints(instance: PendingInstance): Record<string, string> {
  if (instance.dedicatedTo === undefined) return instance.constraints;
  return { ...instance.constraints, [DEDICATED]: instance.dedicatedTo };
}

/** Counts for every pending job, seeded with what already runs. */
function countsFor(
  groups: readonly Group[],
  running: readonly RunningTask[],
  spreadBy: string,
): Map<JobId, JobCounts> {
  const counted = new Map<JobId, Set<string>>();
  for (const group of groups) {
    const attributes = counted.get(group.jobId) ?? new Set([SPREAD]);
    for (const rule of group.rules.limits) attributes.add(rule.attribute);
    counted.set(group.jobId, attributes);
  }
  const counts = new Map([...counted].map(([jobId, attributes]) => [jobId, new JobCounts(attributes)]));
  for (const task of running) counts.get(task.jobId)?.add(runningAttributes(task, spreadBy));
  return counts;
}

interface Candidate {
  slot: Slot;
  /** A lower bound of the job's load on the slot; exact once checked. */
  load: number;
}

function before(a: Candidate, b: Candidate): boolean {
  return a.load < b.load || (a.load === b.load && a.slot.order < b.slot.order);
}

/** Whether a base slot (load 0 at best) comes before the heap's top. */
function baseFirst(slot: Slot, top: Candidate | undefined): boolean {
  return top === undefined || top.load > 0 || slot.order < top.slot.order;
}

/**
 * Offers by (load, order). The feasible offers start with load 0, already in order, so they
 * are read through a cursor instead of being copied into the heap: a group placing one
 * instance costs what it pops, not the size of the cluster.
 */
class CandidateQueue {
  private readonly heap: Candidate[] = [];

  constructor(
    private readonly base: readonly Slot[],
    private cursor: number,
  ) {}

  pop(): Candidate | undefined {
    const fromBase = this.base[this.cursor];
    const top = this.heap[0];
    if (fromBase !== undefined && baseFirst(fromBase, top)) {
      this.cursor += 1;
      return { slot: fromBase, load: 0 };
    }
    return top === undefined ? undefined : this.popHeap();
  }

  push(candidate: Candidate): void {
    const heap = this.heap;
    heap.push(candidate);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const [child, up] = [heap[i], heap[parent]];
      if (child === undefined || up === undefined || !before(child, up)) break;
      [heap[i], heap[parent]] = [up, child];
      i = parent;
    }
  }

  private popHeap(): Candidate | undefined {
    const heap = this.heap;
    const top = heap[0];
    const last = heap.pop();
    if (heap.length === 0 || last === undefined) return top;
    heap[0] = last;
    let i = 0;
    for (;;) {
      const [l, r] = [2 * i + 1, 2 * i + 2];
      let smallest = i;
      const [left, right] = [heap[l], heap[r]];
      if (left !== undefined && before(left, heap[smallest] ?? left)) smallest = l;
      if (right !== undefined && before(right, heap[smallest] ?? right)) smallest = r;
      if (smallest === i) return top;
      [heap[i], heap[smallest]] = [heap[smallest] as Candidate, heap[i] as Candidate];
      i = smallest;
    }
  }
}

/** Instances that share a job and a shape are placed together against one queue. */
interface Group {
  jobId: JobId;
  instances: PendingInstance[];
  demand: Demand;
  rules: Rules;
  role: string | undefined;
  signature: string;
}

/**
 * Canonical text of an object, cached by identity: a job's instances usually share their
 * constraints and resources objects, and grouping a large job's instances should not
 * serialise those objects once per instance.
 */
class Canonical {
  private readonly cache = new WeakMap<object, string>();

  of(value: object): string {
    const known = this.cache.get(value);
    if (known !== undefined) return known;
    const text = JSON.stringify(Object.entries(value).sort(([a], [b]) => compare(a, b)));
    this.cache.set(value, text);
    return text;
  }
}

/** What decides which offers an instance may use at all: its role and constraints. */
function signatureOf(instance: PendingInstance, canonical: Canonical): string {
  return JSON.stringify([
    instance.role ?? null,
    instance.dedicatedTo ?? null,
    canonical.of(instance.constraints),
  ]);
}

function groupsOf(pending: readonly PendingInstance[]): Group[] {
  const groups = new Map<string, Group>();
  const canonical = new Canonical();
  for (const instance of pending) {
    const signature = signatureOf(instance, canonical);
    const key = JSON.stringify([instance.jobId, signature, canonical.of(instance.resources)]);
    const group = groups.get(key);
    if (group !== undefined) group.instances.push(instance);
    else {
      groups.set(key, {
        jobId: instance.jobId,
        instances: [instance],
        demand: demandOf(instance.resources),
        rules: parseRules(effectiveConstraints(instance)),
        role: instance.role,
        signature,
      });
    }
  }
  return [...groups.values()];
}

/**
 * Offers known not to fit one demand, shared by every group with that demand and signature:
 * offers only shrink, so what did not fit stays so. Offers fill in hostname order, so the
 * known prefix is skipped outright; without it, each of many small jobs on a filling cluster
 * would walk past every full offer again.
 */
class NoFit {
  /** Feasible offers before this index are all known not to fit. */
  skip = 0;
  private readonly known: Uint8Array;

  constructor(
    slots: number,
    private readonly feasible: readonly Slot[],
  ) {
    this.known = new Uint8Array(slots);
  }

  has(slot: Slot): boolean {
    return this.known[slot.order] === 1;
  }

  add(slot: Slot): void {
    this.known[slot.order] = 1;
    for (
      let next = this.feasible[this.skip];
      next !== undefined && this.has(next);
      next = this.feasible[this.skip]
    ) {
      this.skip += 1;
    }
  }
}

/** Offers that constraints and role allow, and each offer's static vetoes, per signature. */
interface Eligibility {
  feasible: Slot[];
  vetoes: string[][];
  noFit: Map<string, NoFit>;
}

function eligibility(group: Group, slots: readonly Slot[]): Eligibility {
  const vetoes = slots.map((slot) => {
    const role = group.role !== undefined && slot.role !== undefined && slot.role !== group.role;
    const roleVeto = role ? [`offer for role ${slot.role}, not ${group.role}`] : [];
    return [...roleVeto, ...staticVetoes(group.rules, slot.attributes)];
  });
  return { feasible: slots.filter((_, i) => vetoes[i]?.length === 0), vetoes, noFit: new Map() };
}

class Placer {
  readonly launches: Launch[] = [];
  readonly unplaced: Unplaced[] = [];
  private readonly eligible = new Map<string, Eligibility>();

  constructor(
    private readonly slots: readonly Slot[],
    private readonly counts: ReadonlyMap<JobId, JobCounts>,
  ) {}

  place(group: Group): void {
    const counts = this.counts.get(group.jobId) ?? new JobCounts([SPREAD]);
    const { feasible, noFit } = this.eligibilityOf(group);
    const key = demandKey(group.demand);
    const known = noFit.get(key) ?? new NoFit(this.slots.length, feasible);
    noFit.set(key, known);
    const queue = new CandidateQueue(feasible, known.skip);
    for (const [index, instance] of group.instances.entries()) {
      const slot = this.nextSlot(queue, group, counts, known);
      if (slot === undefined) {
        const reasons = this.reasons(group, counts);
        for (const left of group.instances.slice(index))
          this.unplaced.push({ instance: left, reasons: [...reasons] });
        return;
      }
      this.launch(slot, instance, group.demand, counts.load(slot.attributes) > 0);
      counts.add(slot.attributes);
      queue.push({ slot, load: counts.load(slot.attributes) });
    }
  }

  private eligibilityOf(group: Group): Eligibility {
    const known = this.eligible.get(group.signature);
    if (known !== undefined) return known;
    const computed = eligibility(group, this.slots);
    this.eligible.set(group.signature, computed);
    return computed;
  }

  /**
   * The least loaded offer that still fits. An offer refused here is refused for the rest of
   * the group: resources only shrink and counts only grow while placing, so it cannot recover.
   */
  private nextSlot(queue: CandidateQueue, group: Group, counts: JobCounts, noFit: NoFit): Slot | undefined {
    for (let candidate = queue.pop(); candidate !== undefined; candidate = queue.pop()) {
      const { slot } = candidate;
      if (noFit.has(slot)) continue;
      const load = counts.load(slot.attributes);
      // Other offers on the same host grew since this one was queued: requeue at its true load.
      if (load > candidate.load) queue.push({ slot, load });
      else if (!slot.resources.fits(group.demand)) noFit.add(slot);
      else if (withinLimits(group.rules, slot.attributes, counts)) return slot;
    }
    return undefined;
  }

  private launch(slot: Slot, instance: PendingInstance, demand: Demand, crowded: boolean): void {
    const claim = slot.resources.claim(demand);
    slot.used = true;
    this.launches.push({
      offerId: slot.offer.id.value,
      agentId: slot.offer.agent_id.value,
      hostname: slot.offer.hostname,
      instance,
      resources: claim.resources,
      ports: claim.ports,
      crowded,
    });
  }

  /** Every offer's vetoes as things stand now, counted per reason, most common first. */
  private reasons(group: Group, counts: JobCounts): string[] {
    if (this.slots.length === 0) return ['no offers'];
    const { vetoes } = this.eligibilityOf(group);
    const tally = new Map<string, number>();
    for (const slot of this.slots) {
      const reasons = [
        ...(vetoes[slot.order] ?? []),
        ...slot.resources.shortages(group.demand).map((name) => `insufficient ${name}`),
        ...limitVetoes(group.rules, slot.attributes, counts),
      ];
      for (const reason of new Set(reasons)) tally.set(reason, (tally.get(reason) ?? 0) + 1);
    }
    return [...tally]
      .sort(([ra, a], [rb, b]) => b - a || compare(ra, rb))
      .map(([reason, n]) => `${reason} on ${n} ${n === 1 ? 'offer' : 'offers'}`);
  }
}

/** Places `pending` on `offers`, given what already runs; see the module comment for the rules. */
export function placeInstances(
  pending: readonly PendingInstance[],
  offers: readonly MesosOffer[],
  running: readonly RunningTask[],
  options: PlacementOptions = {},
): Placement {
  const spreadBy = options.spreadBy ?? 'host';
  const slots = slotsOf(offers, spreadBy);
  const groups = groupsOf(pending);
  const placer = new Placer(slots, countsFor(groups, running, spreadBy));
  for (const group of groups) placer.place(group);
  const used = new Set(slots.filter((s) => s.used).map((s) => s.offer));
  return {
    launches: placer.launches,
    unplaced: placer.unplaced,
    unusedOfferIds: offers.filter((o) => !used.has(o)).map((o) => o.id.value),
  };
}
