/**
 * The steps a webhook request goes through, in order, each refusing with the status that
 * names what is wrong. Nothing here has a side effect: the route records the delivery and
 * calls the daemon only after every check passed.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { checkContentType, clip } from './content-type.js';
import { header } from './headers.js';
import { HttpError } from './http-error.js';
import { configuredSecret, type EventAction, type ProviderSpec } from './providers.js';
import type { WebhookSecrets } from './types.js';

/** Delivery ids are UUIDs in practice; the bound keeps the replay cache's memory bounded too. */
const MAX_DELIVERY_LENGTH = 200;

/**
 * Checks that need only the headers, run before the body is read: an unconfigured,
 * unauthenticated or wrongly typed request costs no body buffering.
 */
export function checkHeaders(
  spec: ProviderSpec,
  secrets: WebhookSecrets,
  headers: IncomingHttpHeaders,
): void {
  requireSecret(spec, secrets);
  if (header(headers, spec.credentialHeader) === undefined) {
    throw new HttpError(
      401,
      `missing ${spec.credentialKind}: the ${spec.credentialHeader} header is required ` +
        `(configure the webhook with the value of ${spec.secretEnv})`,
    );
  }
  const contentType = checkContentType(header(headers, 'content-type'));
  if (!contentType.ok) throw new HttpError(415, contentType.message);
}

export function requireSecret(spec: ProviderSpec, secrets: WebhookSecrets): string {
  const secret = configuredSecret(spec, secrets);
  if (secret === undefined) {
    throw new HttpError(404, `webhook not configured: set ${spec.secretEnv} to enable /hooks/${spec.name}`);
  }
  return secret;
}

export function requireBody(body: unknown): Buffer {
  if (!Buffer.isBuffer(body) || body.length === 0) {
    throw new HttpError(400, 'empty body: expected a JSON object');
  }
  return body;
}

export async function authenticate(
  spec: ProviderSpec,
  secret: string,
  rawBody: Buffer,
  headers: IncomingHttpHeaders,
): Promise<void> {
  const credential = header(headers, spec.credentialHeader) ?? '';
  if (!(await spec.verify(secret, rawBody, credential))) {
    throw new HttpError(
      401,
      `bad ${spec.credentialKind}: ${spec.credentialHeader} does not match ` +
        `(is the webhook configured with the value of ${spec.secretEnv}?)`,
    );
  }
}

export function eventOf(
  spec: ProviderSpec,
  headers: IncomingHttpHeaders,
): { event: string; action: EventAction } {
  if (spec.eventHeader === undefined) return { event: 'push', action: 'push' };
  const event = header(headers, spec.eventHeader);
  if (event === undefined) throw new HttpError(400, `missing ${spec.eventHeader} header`);
  return { event, action: spec.classify(event) };
}

/** The delivery id as sent, or undefined when missing or blank (the route refuses it, and counts it). */
export function deliveryOf(spec: ProviderSpec, headers: IncomingHttpHeaders): string | undefined {
  const delivery = header(headers, spec.deliveryHeader);
  if (delivery !== undefined && delivery.length > MAX_DELIVERY_LENGTH) {
    throw new HttpError(400, `${spec.deliveryHeader} is longer than ${MAX_DELIVERY_LENGTH} characters`);
  }
  return delivery === undefined || delivery.trim() === '' ? undefined : delivery;
}

export function missingDelivery(spec: ProviderSpec): HttpError {
  return new HttpError(
    400,
    `missing ${spec.deliveryHeader} header: every delivery needs a unique id so that a replay can be ` +
      `refused (${spec.deliveryHint})`,
  );
}

/** Parsed only after the signature verified: unauthenticated input never reaches the parser. */
export function parsePayload(rawBody: Buffer): Record<string, unknown> {
  let payload: unknown;
  try {
    payload = JSON.parse(rawBody.toString('utf8'));
  } catch (error) {
    throw new HttpError(
      400,
      `body is not valid JSON: ${clip(error instanceof Error ? error.message : '', 200)}`,
    );
  }
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    throw new HttpError(400, 'body is JSON but not an object');
  }
  return payload as Record<string, unknown>;
}

/** The pushed ref as the payload claims it; only ever used in logs. */
export function refOf(payload: Record<string, unknown>): string | undefined {
  return typeof payload.ref === 'string' ? payload.ref : undefined;
}
