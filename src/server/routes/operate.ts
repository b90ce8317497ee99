/**
 * The routes that act or expose the daemon's internals: POST /api/sync (authenticated:
 * it changes the cluster) and GET /metrics (Prometheus text).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { HttpError } from '../http-error.js';
import type { ServerDeps } from '../types.js';

export function operateRoutes(app: FastifyInstance, deps: ServerDeps): void {
  if (deps.sync) {
    app.post('/api/sync', async (request, reply) => {
      authenticate(request, deps.apiToken);
      const result = deps.sync!();
      if (!result.accepted) throw new HttpError(409, result.reason ?? 'this reconciler cannot apply now');
      return reply
        .code(202)
        .type('application/json; charset=utf-8')
        .send(JSON.stringify({ accepted: true }));
    });
  }
  if (deps.metrics) {
    app.get('/metrics', async (_request, reply) => {
      const { contentType, body } = await deps.metrics!();
      return reply.code(200).type(contentType).send(body);
    });
  }
}

/** `Authorization: Bearer <token>`, compared in constant time (over digests, so lengths do not leak). */
function authenticate(request: FastifyRequest, token: string | undefined): void {
  if (!token) throw new HttpError(403, 'sync is disabled: start the daemon with BOREALIS_API_TOKEN set');
  const header = request.headers.authorization ?? '';
  const given = /^Bearer (.+)$/.exec(header)?.[1];
  const digest = (value: string) => createHash('sha256').update(value).digest();
  if (given === undefined || !timingSafeEqual(digest(given), digest(token)))
    throw new HttpError(401, 'POST /api/sync needs Authorization: Bearer <BOREALIS_API_TOKEN>');
}
