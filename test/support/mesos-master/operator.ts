/**
 * `/api/v1`, the operator API, in the order of `Master::Http::api` (http.cpp): leader
 * redirect, method, Content-Type, JSON parse and message validation (unknown fields are
 * recorded as violations, then ignored as stout ignores them), call validation, Accept, then
 * the call. The answers are operator-answers.ts's.
 */
import { once } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parseMesosJson, stringifyMesosJson } from '../../../src/cluster/mesos/json.js';
import { answer, getTasksPieces } from './operator-answers.js';
import { CALL_MESSAGES, PAYLOAD_REQUIRED } from './operator-schema.js';
import { isObject, validateMessage } from './schema.js';
import type { State } from './state.js';

export const OPERATOR_PATH = '/api/v1';

interface Reply {
  status: number;
  /** A whole body, or one written piece by piece (a large GET_TASKS streams as a master's does). */
  body: string | Iterable<Buffer>;
  headers?: Record<string, string>;
}

const JSON_TYPE = 'application/json';
const PROTOBUF_TYPE = 'application/x-protobuf';

const text = (status: number, body: string, headers: Record<string, string> = {}): Reply => ({
  status,
  body,
  headers: { 'Content-Type': 'text/plain; charset=utf-8', ...headers },
});

export async function handleOperator(
  state: State,
  req: IncomingMessage,
  res: ServerResponse,
  body: string,
): Promise<void> {
  const reply = transportError(state, req) ?? callReply(state, req, body);
  const type = /"type"\s*:\s*"([A-Z_]+)"/.exec(body)?.[1];
  state.operatorCalls.push({ type, body: undefined, status: reply.status });
  res.writeHead(reply.status, reply.headers);
  if (typeof reply.body === 'string') return void res.end(reply.body);
  for (const piece of reply.body) {
    if (res.destroyed) return;
    if (!res.write(piece)) await once(res, 'drain');
  }
  res.end();
}

function transportError(state: State, req: IncomingMessage): Reply | undefined {
  // Master::Http::redirect keeps the path and drops the query.
  if (state.config.leader !== undefined)
    return text(307, '', { Location: `//${state.config.leader}${OPERATOR_PATH}` });
  if (req.method !== 'POST')
    return text(405, `Expecting one of { 'POST' }, but received '${req.method}'`, { Allow: 'POST' });
  const type = req.headers['content-type'];
  if (type === undefined) return text(400, "Expecting 'Content-Type' to be present");
  if (type !== JSON_TYPE) return text(415, `Expecting 'Content-Type' of ${JSON_TYPE} or ${PROTOBUF_TYPE}`);
  return undefined;
}

function callReply(state: State, req: IncomingMessage, body: string): Reply {
  let call: unknown;
  try {
    call = parseMesosJson(body);
  } catch (e) {
    return text(400, `Failed to parse body into JSON: ${(e as Error).message}`);
  }
  const invalid = validate(state, call);
  if (invalid !== undefined) return invalid;
  const type = (call as { type: string }).type;
  const accept = req.headers.accept;
  if (!acceptsMediaType(accept, JSON_TYPE)) {
    if (acceptsMediaType(accept, PROTOBUF_TYPE)) return text(501, 'protobuf answers are not simulated');
    return text(406, `Expecting 'Accept' to allow '${PROTOBUF_TYPE}' or '${JSON_TYPE}'`);
  }
  if (type === 'UNKNOWN') return text(501, '');
  if (type === 'GET_TASKS')
    return { status: 200, body: getTasksPieces(state), headers: { 'Content-Type': JSON_TYPE } };
  const response = answer(state, type);
  if (response === undefined) return text(501, `${type} is not simulated by the test master`);
  return {
    status: 200,
    body: stringifyMesosJson(response, { nonFinite: 'bare' }),
    headers: { 'Content-Type': JSON_TYPE },
  };
}

/** `protobuf::parse` then `validation::master::call::validate`; an unknown type string is dropped. */
function validate(state: State, call: unknown): Reply | undefined {
  const result = validateMessage(call, 'master.Call', CALL_MESSAGES);
  const named = isObject(call) && typeof call.type === 'string' ? call.type : undefined;
  for (const v of result.violations) state.violations.push({ ...v, call: named });
  if (result.errors.length > 0)
    return text(400, `Failed to convert JSON into Call protobuf: ${result.errors.join('; ')}`);
  const known = result.violations.some((v) => v.path === 'type') ? undefined : named;
  if (known === undefined)
    return text(400, "Failed to validate master::Call: Expecting 'type' to be present");
  const payload = known.toLowerCase();
  if (PAYLOAD_REQUIRED.has(known) && !isObject((call as Record<string, unknown>)[payload]))
    return text(400, `Failed to validate master::Call: Expecting '${payload}' to be present`);
  return undefined;
}

/**
 * libprocess `Request::acceptsMediaType`: no Accept header accepts everything; otherwise the
 * most specific range that matches decides (the exact type, then its wildcard subtype, then
 * the wildcard of all types), and it accepts unless its `q` is 0.
 */
export function acceptsMediaType(header: string | undefined, mediaType: string): boolean {
  if (header === undefined) return true;
  const ranges = header
    .replace(/[ \t]/g, '')
    .split(',')
    .map((range) => range.split(';'));
  const [major] = mediaType.split('/');
  for (const candidate of [mediaType, `${major}/*`, '*/*']) {
    const match = ranges.find(([type]) => type?.toLowerCase() === candidate);
    if (match === undefined) continue;
    const q = match.slice(1).find((param) => param.toLowerCase().startsWith('q='));
    return q === undefined || Number(q.slice(2)) > 0;
  }
  return false;
}
