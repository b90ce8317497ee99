/** The daemon's read-only API: GET /api/status, /api/deployments, /api/observed, /api/plan and /healthz. */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { DependencyError, HttpError } from '../http-error.js';
import type { PlanRequest, ServerDeps } from '../types.js';

const DEFAULT_LIMIT = 50;
const MAX_LIMIT = 1000;

export function apiRoutes(app: FastifyInstance, deps: ServerDeps): void {
  app.get('/api/status', async (_request, reply) =>
    sendJson(reply, 200, await call('status', () => deps.status())),
  );
  app.get('/api/deployments', async (request, reply) => {
    const limit = parseLimit((request.query as Record<string, unknown>).limit);
    return sendJson(reply, 200, await call('deployments', () => deps.deployments(limit)));
  });
  app.get('/api/observed', async (_request, reply) => {
    if (!deps.observed) throw new HttpError(404, 'this server keeps no view of a cluster');
    const view = await call('observed', () => deps.observed!());
    if (view === undefined)
      throw new HttpError(409, 'this reconciler does not lead: ask the leader (GET /healthz names it)');
    return reply.code(200).type('application/json; charset=utf-8').send(view);
  });
  app.get('/api/plan', async (request, reply) => {
    if (!deps.plan) throw new HttpError(404, 'this server plans nothing');
    const query = parsePlanQuery(request.query as Record<string, unknown>);
    const answer = await call('plan', () => deps.plan!(query));
    if ('refused' in answer) throw new HttpError(409, `not planned here: ${answer.refused}`);
    return sendJson(reply, 200, answer.plan);
  });
  app.get('/healthz', async (_request, reply) => {
    const health = await call('health', () => deps.health());
    return sendJson(reply, health.ok === true ? 200 : 503, health);
  });
}

/** `?limit=N`: absent means the default; anything but one integer in 1..1000 is refused, not clamped. */
export function parseLimit(raw: unknown): number {
  if (raw === undefined) return DEFAULT_LIMIT;
  const text = typeof raw === 'string' ? raw : undefined;
  const limit = text !== undefined && /^\d{1,7}$/.test(text) ? Number(text) : NaN;
  if (!(limit >= 1 && limit <= MAX_LIMIT)) {
    throw new HttpError(
      400,
      `invalid limit ${JSON.stringify(raw)}: expected an integer from 1 to ${MAX_LIMIT}`,
    );
  }
  return limit;
}

const COMMIT_ID = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;

/** `?commit=<full id>&cluster=&path=&prune=&retry_held=`: a commit is named by its full id, never a ref. */
export function parsePlanQuery(query: Record<string, unknown>): PlanRequest {
  const text = (name: string, fallback?: string): string => {
    const value = query[name] ?? fallback;
    if (typeof value !== 'string') throw new HttpError(400, `${name}: expected one value`);
    return value;
  };
  const flag = (name: string, fallback: boolean): boolean => {
    const value = text(name, String(fallback));
    if (value !== 'true' && value !== 'false') throw new HttpError(400, `${name}: expected true or false`);
    return value === 'true';
  };
  const commit = text('commit');
  if (!COMMIT_ID.test(commit))
    throw new HttpError(400, `commit: expected a full commit id, not ${JSON.stringify(commit)}`);
  return {
    commit,
    cluster: text('cluster'),
    path: text('path', ''),
    prune: flag('prune', true),
    retryHeld: flag('retry_held', false),
  };
}

/** Wraps a failure of the daemon so the error handler logs it and answers 500 without details. */
async function call<T>(operation: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    throw new DependencyError(operation, error);
  }
}

/** Always JSON, even when a dependency returns a bare string or undefined. */
function sendJson(reply: FastifyReply, status: number, value: unknown): FastifyReply {
  return reply
    .code(status)
    .type('application/json; charset=utf-8')
    .send(JSON.stringify(value ?? null));
}
