/** SUBSCRIBE: validation (400 vs 200 + ERROR), failover of an existing subscription, SUBSCRIBED. */
import type { ServerResponse } from 'node:http';
import { epochNanos, subscribed } from './events.js';
import { CAPABILITIES, isObject } from './schema.js';
import { closeStream, openStream, recoverOffers, refuse, send } from './stream.js';
import type { Framework, State } from './state.js';

type Json = Record<string, unknown>;

export interface HttpError {
  status: number;
  message: string;
}

const strings = (v: unknown): string[] =>
  Array.isArray(v) ? v.filter((s): s is string => typeof s === 'string') : [];

/** Role name rules (src/common/roles.cpp `validate`). */
function roleProblem(role: string): string | undefined {
  if (role === '*') return undefined;
  if (role === '' || role === '.' || role === '..' || role.startsWith('-')) return `Invalid role '${role}'`;
  if (/[\s/\\]/.test(role)) return `Invalid role '${role}'`;
  return undefined;
}

/** The FrameworkInfo checks that answer 200 + ERROR (validation.cpp framework::validate). */
function frameworkInfoProblem(info: Json, capabilities: Set<string>): string | undefined {
  const multiRole = capabilities.has('MULTI_ROLE');
  if (multiRole && info.role !== undefined) return "'FrameworkInfo.role' must not be set when MULTI_ROLE";
  if (!multiRole && info.roles !== undefined)
    return "'FrameworkInfo.roles' requires the MULTI_ROLE capability";
  const roles = multiRole ? strings(info.roles) : [typeof info.role === 'string' ? info.role : '*'];
  return roles.map(roleProblem).find((p) => p !== undefined);
}

function capabilitiesOf(info: Json): Set<string> {
  const caps = Array.isArray(info.capabilities) ? info.capabilities : [];
  const known = caps.map((c) => (isObject(c) ? c.type : undefined));
  return new Set(known.filter((t): t is string => (CAPABILITIES as readonly unknown[]).includes(t)));
}

/** Call-level checks that answer 400 (validation.cpp scheduler::call::validate, http.cpp). */
export function subscribeRequestError(call: Json, streamIdHeader: string | undefined): HttpError | undefined {
  const sub = call.subscribe;
  if (!isObject(sub)) return { status: 400, message: "Expecting 'subscribe' to be present" };
  const info = isObject(sub.framework_info) ? sub.framework_info : {};
  const topId = isObject(call.framework_id) ? call.framework_id.value : undefined;
  const infoId = isObject(info.id) ? info.id.value : undefined;
  if (topId !== infoId) {
    return { status: 400, message: "'framework_id' differs from 'subscribe.framework_info.id'" };
  }
  if (streamIdHeader !== undefined) {
    return { status: 400, message: "Subscribe calls should not include the 'Mesos-Stream-Id' header" };
  }
  return undefined;
}

export function subscribe(state: State, call: Json, res: ServerResponse): void {
  const sub = call.subscribe as Json;
  const info = sub.framework_info as Json;
  const capabilities = capabilitiesOf(info);
  const problem = frameworkInfoProblem(info, capabilities);
  if (problem !== undefined) {
    refuse(res, problem);
    return;
  }
  const fw = frameworkFor(state, info, capabilities);
  fw.suppressed = new Set(strings(sub.suppressed_roles));
  openStream(state, fw, res);
  send(fw, subscribed(fw.id, state.config.heartbeatSeconds, state.master));
  state.hooks.allocate();
}

/** The framework to (re)subscribe: a new one, or an existing one whose old stream fails over. */
function frameworkFor(state: State, info: Json, capabilities: Set<string>): Framework {
  const requested = isObject(info.id) && typeof info.id.value === 'string' ? info.id.value : undefined;
  const id = requested ?? `${state.master.id}-${String(state.counters.framework++).padStart(4, '0')}`;
  const multiRole = capabilities.has('MULTI_ROLE');
  const roles = multiRole ? strings(info.roles) : [typeof info.role === 'string' ? info.role : '*'];
  const existing = state.frameworks.get(id);
  const now = epochNanos();
  if (existing !== undefined) {
    closeStream(existing, 'Framework failed over');
    clearTimeout(existing.failoverTimer);
    recoverOffers(state, id);
  }
  const fw: Framework = {
    id,
    info: { ...info, id: { value: id } },
    capabilities,
    roles,
    multiRole,
    suppressed: new Set(),
    filters: existing?.filters ?? new Map<string, number>(),
    subscription: undefined,
    failoverTimer: undefined,
    registeredNs: existing?.registeredNs ?? now,
    reregisteredNs: now,
  };
  state.frameworks.set(id, fw);
  return fw;
}
