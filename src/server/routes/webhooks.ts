/**
 * POST /hooks/{github,gitlab,generic}. Order of checks (each refusal has no side effect):
 * configured (404) → credential present (401) → JSON content type (415) → body size (413,
 * fastify) → non-empty (400) → credential valid (401) → event and delivery headers (400) →
 * JSON object (400) → not a replay (409) → hand the push to the daemon.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { header } from '../headers.js';
import { DependencyError, HttpError } from '../http-error.js';
import { formatDecision, type WebhookDecision } from '../log-line.js';
import type { Log } from '../../util/log.js';
import { outcomeOf, recordOutcome } from '../outcome.js';
import { PROVIDERS, type ProviderSpec } from '../providers.js';
import type { ReplayCache } from '../replay-cache.js';
import type { PushHint, ServerDeps } from '../types.js';
import {
  authenticate,
  checkHeaders,
  deliveryOf,
  eventOf,
  parsePayload,
  refOf,
  requireBody,
  requireSecret,
} from '../webhook-checks.js';

export interface WebhookContext {
  deps: ServerDeps;
  replay: ReplayCache;
  log: Log | undefined;
}

export function webhookRoutes(scope: FastifyInstance, context: WebhookContext): void {
  // Keep the body as raw bytes: signatures cover the bytes, and JSON is parsed only after
  // they verify. Every other content type was refused by checkHeaders before reading.
  scope.removeAllContentTypeParsers();
  scope.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_request, body, done) =>
    done(null, body),
  );
  for (const spec of PROVIDERS) {
    scope.post(`/hooks/${spec.name}`, {
      onRequest: (request, _reply, done) => done(precheck(spec, context, request)),
      onResponse: (request, reply, done) => {
        logDecision(spec, context, request, reply);
        done();
      },
      handler: (request, reply) => handleWebhook(spec, context, request, reply),
    });
  }
}

function precheck(spec: ProviderSpec, context: WebhookContext, request: FastifyRequest): Error | undefined {
  try {
    checkHeaders(spec, context.deps.secrets, request.headers);
    return undefined;
  } catch (error) {
    return error instanceof Error ? error : new Error(String(error));
  }
}

async function handleWebhook(
  spec: ProviderSpec,
  context: WebhookContext,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<FastifyReply> {
  const secret = requireSecret(spec, context.deps.secrets);
  const rawBody = requireBody(request.body);
  await authenticate(spec, secret, rawBody, request.headers);
  const { event, action } = eventOf(spec, request.headers);
  const delivery = deliveryOf(spec, request.headers);
  const payload = parsePayload(rawBody);
  const replayKey = claimDelivery(spec, context.replay, delivery);
  if (action === 'ping') return answer(request, reply, 200, { ok: true, event: 'ping' }, 'ping');
  if (action === 'ignore') {
    return answer(request, reply, 200, { ok: true, event, ignored: true }, `ignored event ${event}`);
  }
  const hint = pushHint(spec, delivery, refOf(payload));
  notifyPush(context, hint, replayKey);
  return answer(request, reply, 202, { ok: true, event, delivery }, `push accepted ref=${hint.ref ?? '-'}`);
}

/** Only the fields the sender gave: the daemon can log the hint as it is. */
function pushHint(spec: ProviderSpec, delivery: string | undefined, ref: string | undefined): PushHint {
  return {
    provider: spec.name,
    ...(delivery === undefined ? {} : { delivery }),
    ...(ref === undefined ? {} : { ref }),
  };
}

/** Records the delivery id (the only state a request changes); a second copy is a replay. */
function claimDelivery(
  spec: ProviderSpec,
  replay: ReplayCache,
  delivery: string | undefined,
): string | undefined {
  if (delivery === undefined) return undefined;
  const key = `${spec.name}:${delivery}`;
  if (!replay.remember(key)) {
    throw new HttpError(409, `replayed delivery: ${spec.deliveryHeader} ${delivery} was already received`);
  }
  return key;
}

function notifyPush(context: WebhookContext, hint: PushHint, replayKey: string | undefined): void {
  try {
    context.deps.onPush(hint);
  } catch (error) {
    // The push was not handed on: let the sender's retry of this delivery through.
    if (replayKey !== undefined) context.replay.forget(replayKey);
    throw new DependencyError('onPush', error);
  }
}

function answer(
  request: FastifyRequest,
  reply: FastifyReply,
  status: number,
  body: Record<string, unknown>,
  outcome: string,
): FastifyReply {
  recordOutcome(request, outcome);
  return reply.code(status).send(body);
}

function logDecision(
  spec: ProviderSpec,
  context: WebhookContext,
  request: FastifyRequest,
  reply: FastifyReply,
): void {
  context.deps.onWebhook?.(spec.name, reply.statusCode);
  const decision: WebhookDecision = {
    provider: spec.name,
    delivery: header(request.headers, spec.deliveryHeader),
    status: reply.statusCode,
    result: outcomeOf(request) ?? 'no outcome recorded',
  };
  context.log?.(formatDecision(decision), { ...decision });
}
