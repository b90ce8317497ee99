/** Offers: the allocator (free agent resources → OFFERS), filters, decline, rescind. */
import { offers as offersEvent, rescind as rescindEvent, type Json } from './events.js';
import { add, emptyPool, isEmpty, resourcesJson } from './resources.js';
import type { Agent, Framework, Offer, State } from './state.js';
import { send } from './stream.js';

/** `Filters.refuse_seconds` default (mesos.proto) and cap (docs). */
export const DEFAULT_REFUSE_SECONDS = 5;
const MAX_REFUSE_SECONDS = 31_536_000;

/** The role a framework is offered resources for, or undefined when all its roles are suppressed. */
function offerRole(fw: Framework): string | undefined {
  return fw.roles.find((r) => !fw.suppressed.has(r));
}

function eligible(fw: Framework, agent: Agent, now: number): boolean {
  if (fw.subscription === undefined || offerRole(fw) === undefined) return false;
  return (fw.filters.get(agent.id) ?? 0) <= now;
}

/** One allocation cycle: every agent's free resources go, whole, to one eligible framework. */
export function allocate(state: State): void {
  const now = Date.now();
  const batches = new Map<Framework, Json[]>();
  const frameworks = [...state.frameworks.values()];
  for (const agent of state.agents.values()) {
    if (agent.lost || isEmpty(agent.free)) continue;
    const fw = frameworks.find((f) => eligible(f, agent, now));
    if (fw === undefined) continue;
    frameworks.push(...frameworks.splice(frameworks.indexOf(fw), 1)); // round robin
    const offer = makeOffer(state, fw, agent);
    batches.set(fw, [...(batches.get(fw) ?? []), offerJson(state, offer, fw)]);
  }
  for (const [fw, list] of batches) send(fw, offersEvent(list));
}

function makeOffer(state: State, fw: Framework, agent: Agent): Offer {
  const id = `${state.master.id}-O${state.counters.offer++}`;
  const offer: Offer = { id, frameworkId: fw.id, agentId: agent.id, pool: agent.free };
  agent.free = emptyPool();
  state.offers.set(id, offer);
  return offer;
}

function offerJson(state: State, offer: Offer, fw: Framework): Json {
  const agent = state.agents.get(offer.agentId)!;
  // Without MULTI_ROLE the master strips allocation_info (master.cpp ~L9576).
  const role = fw.multiRole ? offerRole(fw) : undefined;
  const json: Json = role === undefined ? {} : { allocation_info: { role } };
  Object.assign(json, {
    id: { value: offer.id },
    framework_id: { value: fw.id },
    agent_id: { value: agent.id },
    hostname: agent.hostname,
    resources: resourcesJson(offer.pool, role),
    attributes: Object.entries(agent.attributes).map(([name, v]) => attributeJson(name, v)),
  });
  const executors = executorIds(state, fw.id, agent.id);
  if (executors.length > 0) json.executor_ids = executors.map((value) => ({ value }));
  return json;
}

/** An agent attribute as `Attribute` JSON: numbers are SCALAR, strings TEXT. */
export function attributeJson(name: string, v: string | number): Json {
  return typeof v === 'number'
    ? { name, type: 'SCALAR', scalar: { value: v } }
    : { name, type: 'TEXT', text: { value: v } };
}

function executorIds(state: State, frameworkId: string, agentId: string): string[] {
  const ids = new Set<string>();
  for (const t of state.tasks.values()) {
    if (t.frameworkId === frameworkId && t.agentId === agentId && t.executorId !== undefined) {
      ids.add(t.executorId);
    }
  }
  return [...ids];
}

/** Removes offers and returns their resources to their agents' free pools. */
export function returnOffer(state: State, offer: Offer): void {
  state.offers.delete(offer.id);
  const agent = state.agents.get(offer.agentId);
  if (agent !== undefined && !agent.lost) agent.free = add(agent.free, offer.pool);
}

/** Applies `Filters.refuse_seconds` for the framework on the agent. */
export function applyFilter(fw: Framework, agentId: string, filters: unknown): void {
  const raw = typeof filters === 'object' && filters !== null ? (filters as Json).refuse_seconds : undefined;
  const parsed = raw === undefined ? DEFAULT_REFUSE_SECONDS : Number(raw);
  const seconds = Math.min(Number.isNaN(parsed) ? DEFAULT_REFUSE_SECONDS : parsed, MAX_REFUSE_SECONDS);
  if (seconds > 0) fw.filters.set(agentId, Date.now() + seconds * 1000);
}

export function rescindOffer(state: State, offerId: string): boolean {
  const offer = state.offers.get(offerId);
  if (offer === undefined) return false;
  returnOffer(state, offer);
  const fw = state.frameworks.get(offer.frameworkId);
  if (fw !== undefined) send(fw, rescindEvent(offerId));
  return true;
}
