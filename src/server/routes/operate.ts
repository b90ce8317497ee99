/**
 * The routes that act or expose the daemon's internals: POST /api/sync and POST
 * /api/cron/start (authenticated: they change the cluster) and GET /metrics (Prometheus text).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { HttpError } from '../http-error.js';
import type { CronStartAnswer, ServerDeps } from '../types.js';

export function operateRoutes(app: FastifyInstance, deps: ServerDeps): void {
  if (deps.sync) {
    app.post('/api/sync', async (request, reply) => {
      authenticate(request, deps.apiToken, 'POST /api/sync');
      const result = deps.sync!();
      if (!result.accepted) throw new HttpError(409, result.reason ?? 'this reconciler cannot apply now');
      return reply
        .code(202)
        .type('application/json; charset=utf-8')
        .send(JSON.stringify({ accepted: true }));
    });
  }
  app.post('/api/cron/start', async (request, reply) => {
    authenticate(request, deps.apiToken, 'POST /api/cron/start');
    if (!deps.startCronRun)
      throw new HttpError(503, 'cron scheduler not running: `borealis watch` runs cron jobs');
    const result = await deps.startCronRun(jobOf(request.body));
    return answer(reply, ...cronStartAnswer(result));
  });
  if (deps.metrics) {
    app.get('/metrics', async (_request, reply) => {
      const { contentType, body } = await deps.metrics!();
      return reply.code(200).type(contentType).send(body);
    });
  }
}

/** `Authorization: Bearer <token>`, compared in constant time (over digests, so lengths do not leak). */
function authenticate(request: FastifyRequest, token: string | undefined, route: string): void {
  if (!token) throw new HttpError(403, `${route} is disabled: start the daemon with BOREALIS_API_TOKEN set`);
  const header = request.headers.authorization ?? '';
  const given = /^Bearer (.+)$/.exec(header)?.[1];
  const digest = (value: string) => createHash('sha256').update(value).digest();
  if (given === undefined || !timingSafeEqual(digest(given), digest(token)))
    throw new HttpError(401, `${route} needs Authorization: Bearer <BOREALIS_API_TOKEN>`);
}

const JOB_ID = /^[^/\s]+(?:\/[^/\s]+){3}$/;

/** `{"job": "cluster/role/environment/name"}`. */
function jobOf(body: unknown): string {
  const job = (body as { job?: unknown } | null | undefined)?.job;
  if (typeof job !== 'string' || !JOB_ID.test(job))
    throw new HttpError(400, 'send {"job": "cluster/role/environment/name"} as application/json');
  return job;
}

/** The status and body of each answer; every body says its outcome, so a client need not guess from the status. */
function cronStartAnswer(result: CronStartAnswer): [number, Record<string, string>] {
  if ('started' in result) return [202, { outcome: 'started', run_id: result.started }];
  if ('skipped' in result) return [409, { outcome: 'skipped', error: result.skipped }];
  if ('paused' in result) return [409, { outcome: 'paused', error: result.paused }];
  if ('unknown' in result) return [404, { outcome: 'unknown', error: result.unknown }];
  return [409, { outcome: 'not_leader', error: result.notLeader }];
}

function answer(reply: FastifyReply, status: number, body: object): FastifyReply {
  return reply.code(status).type('application/json; charset=utf-8').send(JSON.stringify(body));
}
