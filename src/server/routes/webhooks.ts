/**
 * POST /hooks/{github,gitlab,generic}. Order of checks (each refusal has no side effect):
 * configured (404) → credential present (401) → JSON content type (415) → body size (413,
 * fastify) → non-empty (400) → credential valid (401) → event and delivery headers (400) →
 * JSON object (400) → not a replay: neither its id nor its body seen in the window (409),
 * and room in the window (503) → hand the push to the daemon → remember it on disk.
 */
import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { normaliseDeliveryId } from '../delivery-id.js';
import { header } from '../headers.js';
import { DependencyError, describe, HttpError } from '../http-error.js';
import { formatDecision, type WebhookDecision } from '../log-line.js';
import type { Log } from '../../util/log.js';
import { outcomeOf, recordOutcome } from '../outcome.js';
import { PROVIDERS, type ProviderSpec } from '../providers.js';
import type { OverloadReporter } from '../overload.js';
import type { ReplayJournal } from '../replay-journal.js';
import type { Delivery, ReplayWindow } from '../replay-window.js';
import type { PushHint, ServerDeps } from '../types.js';
import {
  authenticate,
  checkHeaders,
  deliveryOf,
  eventOf,
  missingDelivery,
  parsePayload,
  refOf,
  requireBody,
  requireSecret,
} from '../webhook-checks.js';

export interface WebhookContext {
  deps: ServerDeps;
  replay: ReplayWindow;
  /** Keeps the window across restarts; absent: memory only. */
  journal: ReplayJournal | undefined;
  overload: OverloadReporter;
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
  if (delivery === undefined) {
    context.overload.counted('missing_delivery_id');
    throw missingDelivery(spec);
  }
  const payload = parsePayload(rawBody);
  const claimed = claimDelivery(spec, context, delivery, rawBody);
  if (action === 'push') notifyPush(context, pushHint(spec, delivery, refOf(payload)), claimed);
  await remember(context, claimed);
  if (action === 'ping') return answer(request, reply, 200, { ok: true, event: 'ping' }, 'ping');
  if (action === 'ignore') {
    return answer(request, reply, 200, { ok: true, event, ignored: true }, `ignored event ${event}`);
  }
  return answer(
    request,
    reply,
    202,
    { ok: true, event, delivery },
    `push accepted ref=${refOf(payload) ?? '-'}`,
  );
}

/** Only the fields the sender gave: the daemon can log the hint as it is. */
function pushHint(spec: ProviderSpec, delivery: string, ref: string | undefined): PushHint {
  return { provider: spec.name, delivery, ...(ref === undefined ? {} : { ref }) };
}

/**
 * Records the delivery (the only state a request changes): a second copy, by id however
 * it is spelled or by body under another id, is a replay.
 */
function claimDelivery(
  spec: ProviderSpec,
  context: WebhookContext,
  delivery: string,
  rawBody: Buffer,
): Delivery {
  const digest = createHash('sha256').update(rawBody).digest('hex');
  const claim = context.replay.claim(spec.name, normaliseDeliveryId(delivery), digest);
  if (claim.kind === 'new') return claim.delivery;
  if (claim.kind === 'replay') {
    context.overload.counted('replay');
    const first = `${spec.deliveryHeader} ${claim.first.id} at ${new Date(claim.first.at).toISOString()}`;
    throw new HttpError(
      409,
      claim.matched === 'id'
        ? `replayed delivery: ${spec.deliveryHeader} ${delivery} was already received (${first})`
        : `replayed delivery: the same body was already received as ${first}`,
    );
  }
  context.overload.counted('replay_window_full');
  const retryAfter = Math.max(1, Math.ceil(claim.retryAfterMs / 1000));
  throw new HttpError(
    503,
    `too many deliveries: the ${context.replay.capacity} remembered to refuse replays are all within ` +
      `the last ${Math.round(context.replay.windowMs / 1000)} s; retry in ${retryAfter} s ` +
      `(the daemon still polls the repository)`,
    { 'retry-after': String(retryAfter) },
  );
}

function notifyPush(context: WebhookContext, hint: PushHint, claimed: Delivery): void {
  try {
    context.deps.onPush(hint);
  } catch (error) {
    // The push was not handed on: let the sender's retry of this delivery through.
    context.replay.forget(claimed);
    throw new DependencyError('onPush', error);
  }
}

/** On disk before the sender is answered; a failed write only loses the restart guarantee. */
async function remember(context: WebhookContext, claimed: Delivery): Promise<void> {
  try {
    await context.journal?.record(claimed);
  } catch (error) {
    context.overload.logLimited(
      'webhook replay journal',
      `webhook replay journal: cannot record delivery ${claimed.id} (${describe(error)}); ` +
        'it is remembered until the daemon restarts',
    );
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
  if (!context.log) return;
  // Refusals go through the rate limit: a flood of bad requests must not flood the log.
  if (decision.status < 400) context.log(formatDecision(decision), { ...decision });
  else {
    const kind = `webhook provider=${decision.provider} status=${decision.status}`;
    context.overload.logLimited(kind, formatDecision(decision), { ...decision }, 'info');
  }
}
