/**
 * HTTP routing of `/api/v1/scheduler`, in the order of `Master::Http::scheduler` (http.cpp):
 * leader redirect, method, Content-Type, JSON parse and message validation, then the call.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parseMesosJson } from '../../../src/cluster/mesos/json.js';
import { authorize, HANDLERS } from './calls.js';
import { handleOperator, OPERATOR_PATH } from './operator.js';
import { CALL_TYPES, isObject, validateMessage } from './schema.js';
import type { State } from './state.js';
import { subscribe, subscribeRequestError, type HttpError } from './subscribe.js';

type Json = Record<string, unknown>;

const PATH = '/api/v1/scheduler';

export async function handle(state: State, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const body = await readBody(req);
  if ((req.url ?? '').split('?')[0] === OPERATOR_PATH) return handleOperator(state, req, res, body);
  const record = { type: undefined as string | undefined, body: undefined as unknown, status: 0 };
  state.calls.push(record);
  const outcome = route(state, req, res, body, record);
  if (outcome !== undefined) reply(res, outcome);
  record.status = outcome?.status ?? res.statusCode;
}

function route(
  state: State,
  req: IncomingMessage,
  res: ServerResponse,
  text: string,
  record: { type: string | undefined; body: unknown },
): HttpError | undefined {
  const pre = transportError(state, req);
  if (pre !== undefined) {
    if (pre.status === 307) res.setHeader('Location', `//${state.config.leader}${req.url ?? PATH}`);
    if (pre.status === 405) res.setHeader('Allow', 'POST');
    return pre;
  }
  let call: unknown;
  try {
    call = parseMesosJson(text);
  } catch (e) {
    return { status: 400, message: `Failed to parse body into JSON: ${(e as Error).message}` };
  }
  record.body = call;
  if (isObject(call) && typeof call.type === 'string') record.type = call.type;
  const invalid = validate(state, call);
  if (invalid !== undefined) return invalid;
  return dispatch(state, call as Json, req, res);
}

function transportError(state: State, req: IncomingMessage): HttpError | undefined {
  if ((req.url ?? '').split('?')[0] !== PATH) return { status: 404, message: '' };
  if (state.config.leader !== undefined) return { status: 307, message: '' };
  if (req.method !== 'POST')
    return { status: 405, message: `Expecting one of { 'POST' }, but received '${req.method}'` };
  const type = req.headers['content-type'];
  if (type === undefined) return { status: 400, message: "Expecting 'Content-Type' to be present" };
  if (type !== 'application/json') {
    return { status: 415, message: `Expecting 'Content-Type' of application/json or application/x-protobuf` };
  }
  return undefined;
}

/** Parses the call against the schema table: violations are recorded, errors are a 400. */
function validate(state: State, call: unknown): HttpError | undefined {
  const result = validateMessage(call, 'Call');
  const type = isObject(call) && typeof call.type === 'string' ? call.type : undefined;
  for (const v of result.violations) state.violations.push({ ...v, call: type });
  if (result.errors.length > 0) {
    return { status: 400, message: `Failed to convert JSON into Call protobuf: ${result.errors.join('; ')}` };
  }
  if (type === undefined || type === 'UNKNOWN' || !isObject(call) || !knownType(call.type)) {
    return { status: 400, message: "Failed to validate scheduler::Call: Expecting 'type' to be present" };
  }
  return undefined;
}

const knownType = (t: unknown): boolean => (CALL_TYPES as readonly unknown[]).includes(t);

function dispatch(
  state: State,
  call: Json,
  req: IncomingMessage,
  res: ServerResponse,
): HttpError | undefined {
  const streamId = header(req, 'mesos-stream-id');
  if (call.type === 'SUBSCRIBE') {
    const error = subscribeRequestError(call, streamId);
    if (error !== undefined) return error;
    subscribe(state, call, res);
    return undefined;
  }
  const handler = HANDLERS[String(call.type)];
  if (handler === undefined) return { status: 501, message: `${String(call.type)} is not simulated` };
  const fw = authorize(state, call, streamId);
  if ('status' in fw) return fw;
  handler(state, fw, call);
  return { status: 202, message: '' };
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function reply(res: ServerResponse, e: HttpError): void {
  if (res.headersSent) return;
  res.writeHead(e.status, { 'Content-Type': 'text/plain; charset=utf-8' });
  res.end(e.message);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
