/** The non-SUBSCRIBE calls: framework/stream-id checks, then one handler per call type. */
import { accept } from './launch.js';
import { applyFilter, returnOffer } from './offers.js';
import { isObject } from './schema.js';
import type { Framework, State } from './state.js';
import { closeStream } from './stream.js';
import type { HttpError } from './subscribe.js';
import { acknowledge, kill, reconcile } from './tasks.js';

type Json = Record<string, unknown>;

const idOf = (v: unknown): string | undefined =>
  isObject(v) && typeof v.value === 'string' ? v.value : undefined;

const payload = (call: Json, key: string): Json => (isObject(call[key]) ? call[key] : {});

/** Payloads validation.cpp requires per call type. */
const REQUIRED_PAYLOAD: Record<string, string> = {
  ACCEPT: 'accept',
  DECLINE: 'decline',
  KILL: 'kill',
  ACKNOWLEDGE: 'acknowledge',
  RECONCILE: 'reconcile',
};

/** Finds the framework and checks the stream id, in http.cpp's order. */
export function authorize(state: State, call: Json, streamId: string | undefined): Framework | HttpError {
  const type = String(call.type);
  const frameworkId = idOf(call.framework_id);
  if (frameworkId === undefined) return { status: 400, message: "Expecting 'framework_id' to be present" };
  const key = REQUIRED_PAYLOAD[type];
  if (key !== undefined && !isObject(call[key]))
    return { status: 400, message: `Expecting '${key}' to be present` };
  const ackError = type === 'ACKNOWLEDGE' ? uuidError(payload(call, 'acknowledge').uuid) : undefined;
  if (ackError !== undefined) return { status: 400, message: ackError };
  const fw = state.frameworks.get(frameworkId);
  if (fw === undefined) return { status: 400, message: 'Framework cannot be found' };
  if (fw.subscription === undefined) return { status: 403, message: 'Framework is not subscribed' };
  if (streamId === undefined) {
    return { status: 400, message: "All non-subscribe calls should include the 'Mesos-Stream-Id' header" };
  }
  if (streamId !== fw.subscription.streamId) {
    return { status: 400, message: `The stream ID '${streamId}' included in this request didn't match` };
  }
  return fw;
}

/** `id::UUID::fromBytes`: the base64 must decode to exactly 16 bytes. */
function uuidError(uuid: unknown): string | undefined {
  const bytes = typeof uuid === 'string' ? Buffer.from(uuid, 'base64') : Buffer.alloc(0);
  return bytes.length === 16 ? undefined : `Not a valid UUID: expected 16 bytes, got ${bytes.length}`;
}

type Handler = (state: State, fw: Framework, call: Json) => void;

export const HANDLERS: Readonly<Record<string, Handler>> = {
  ACCEPT: (state, fw, call) => accept(state, fw, payload(call, 'accept')),
  DECLINE: (state, fw, call) => decline(state, fw, payload(call, 'decline')),
  KILL: (state, fw, call) => {
    const k = payload(call, 'kill');
    kill(state, fw, idOf(k.task_id) ?? '', idOf(k.agent_id));
  },
  ACKNOWLEDGE: (state, fw, call) => {
    const a = payload(call, 'acknowledge');
    acknowledge(state, fw.id, idOf(a.task_id) ?? '', String(a.uuid));
  },
  RECONCILE: (state, fw, call) => {
    const tasks = payload(call, 'reconcile').tasks;
    const list = (Array.isArray(tasks) ? tasks : []).filter(isObject);
    reconcile(
      state,
      fw,
      list.map((t) => ({ taskId: idOf(t.task_id) ?? '', ...agentOf(idOf(t.agent_id)) })),
    );
  },
  SUPPRESS: (_state, fw, call) => {
    for (const role of rolesOf(fw, payload(call, 'suppress'))) fw.suppressed.add(role);
  },
  REVIVE: (state, fw, call) => {
    for (const role of rolesOf(fw, payload(call, 'revive'))) fw.suppressed.delete(role);
    fw.filters.clear();
    state.hooks.allocate();
  },
  TEARDOWN: (state, fw) => {
    closeStream(fw);
    state.hooks.removeFramework(fw);
  },
};

const agentOf = (agentId: string | undefined): { agentId?: string } =>
  agentId === undefined ? {} : { agentId };

/** `roles` of SUPPRESS/REVIVE; an empty (or missing) list means all the framework's roles. */
function rolesOf(fw: Framework, body: Json): string[] {
  const roles = Array.isArray(body.roles) ? body.roles.filter((r): r is string => typeof r === 'string') : [];
  return roles.length === 0 ? fw.roles : roles;
}

function decline(state: State, fw: Framework, body: Json): void {
  const ids = Array.isArray(body.offer_ids) ? body.offer_ids.map(idOf) : [];
  for (const id of ids) {
    const offer = id === undefined ? undefined : state.offers.get(id);
    if (offer === undefined || offer.frameworkId !== fw.id) continue;
    returnOffer(state, offer);
    applyFilter(fw, offer.agentId, body.filters);
  }
}
