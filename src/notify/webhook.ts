/**
 * Generic JSON webhooks, for receivers of one's own: the event as it is, in a versioned
 * envelope with a delivery id the receiver can deduplicate on (retries repeat it).
 *
 * With a secret, `X-Borealis-Signature: sha256=<hex>` is the HMAC-SHA256 of
 * `<X-Borealis-Timestamp>.<raw body>`. Binding the timestamp means a captured request cannot
 * be replayed later with a fresh timestamp: receivers should verify the signature and refuse
 * timestamps more than a few minutes old. Each attempt is signed when it is sent, so a retry
 * after a long back-off still passes such a check.
 */
import { createHmac, randomUUID } from 'node:crypto';
import type { SinkConfig } from './config.js';
import type { CronRunEvent, DeploymentEvent, DriftEvent, NotificationEvent } from './events.js';
import { JSON_HEADERS, is2xx, type PreparedRequest, type SinkProtocol } from './protocol.js';

/**
 * 3: a deployment's `reason` is its record's code, the sentence is `detail`.
 * 2: `format_version` and ISO 8601 times, as every JSON Borealis publishes (1: `version`, epoch ms).
 */
export const WEBHOOK_PAYLOAD_VERSION = 3;

type WithIsoTimes<T, K extends keyof T> = Omit<T, K> & { [P in K]: string };

/** The event as sent: the same fields, its instants as ISO 8601 UTC strings. */
export type WebhookEvent =
  | WithIsoTimes<DeploymentEvent, 'at'>
  | WithIsoTimes<DriftEvent, 'at' | 'since'>
  | WithIsoTimes<CronRunEvent, 'at' | 'scheduled_at'>;

export interface WebhookPayload {
  format_version: typeof WEBHOOK_PAYLOAD_VERSION;
  delivery: string;
  event: WebhookEvent;
}

const iso = (ms: number): string => new Date(ms).toISOString();

export function webhookEvent(event: NotificationEvent): WebhookEvent {
  if (event.type === 'deployment') return { ...event, at: iso(event.at) };
  if (event.type === 'cron_run')
    return { ...event, scheduled_at: iso(event.scheduled_at), at: iso(event.at) };
  return { ...event, since: iso(event.since), at: iso(event.at) };
}

export function webhookPayload(event: NotificationEvent, delivery: string): WebhookPayload {
  return { format_version: WEBHOOK_PAYLOAD_VERSION, delivery, event: webhookEvent(event) };
}

/** The signature header's value for a body sent at `timestamp` (unix seconds). */
export function webhookSignature(secret: string, timestamp: number, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

function prepare(event: NotificationEvent, config: SinkConfig): PreparedRequest {
  const delivery = randomUUID();
  const body = JSON.stringify(webhookPayload(event, delivery));
  return {
    body,
    headers(nowMs) {
      const timestamp = Math.floor(nowMs / 1000);
      return {
        ...JSON_HEADERS,
        'X-Borealis-Event': event.type,
        'X-Borealis-Delivery': delivery,
        'X-Borealis-Timestamp': String(timestamp),
        ...(config.secret === undefined
          ? {}
          : { 'X-Borealis-Signature': webhookSignature(config.secret, timestamp, body) }),
      };
    },
  };
}

export const webhook: SinkProtocol = { kind: 'webhook', prepare, accepts: is2xx };
