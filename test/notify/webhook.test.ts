import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import type { SinkConfig } from '../../src/notify/config.js';
import { webhook, webhookEvent, webhookPayload } from '../../src/notify/webhook.js';
import { drift, FAILED } from './fixtures.js';

const CONFIG: SinkConfig = { kind: 'webhook', url: 'https://hooks.example.com/borealis', name: 'webhook' };
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('generic webhook payload', () => {
  it('wraps the event as it is in a versioned envelope with a delivery id', () => {
    const request = webhook.prepare(FAILED, CONFIG);
    const body = JSON.parse(request.body) as { format_version: number; delivery: string; event: unknown };
    assert.deepEqual(Object.keys(body), ['format_version', 'delivery', 'event']);
    assert.equal(body.format_version, 3);
    assert.match(body.delivery, UUID);
    assert.deepEqual(body.event, { ...FAILED, at: new Date(FAILED.at).toISOString() });
    assert.deepEqual(webhookPayload(FAILED, 'd-1'), {
      format_version: 3,
      delivery: 'd-1',
      event: webhookEvent(FAILED),
    });
  });

  it('sends instants as ISO 8601 UTC strings', () => {
    const event = drift('opened');
    const sent = webhookEvent(event);
    assert.equal(sent.type, 'drift');
    assert.equal(sent.at, new Date(event.at).toISOString());
    assert.equal(sent.type === 'drift' && sent.since, new Date(event.since).toISOString());
  });

  it('sends the JSON headers, the event type, the delivery id and the timestamp in unix seconds', () => {
    const request = webhook.prepare(drift('opened'), CONFIG);
    const delivery = (JSON.parse(request.body) as { delivery: string }).delivery;
    assert.deepEqual(request.headers(1_714_576_800_999), {
      'Content-Type': 'application/json',
      'User-Agent': 'borealis',
      'X-Borealis-Event': 'drift',
      'X-Borealis-Delivery': delivery,
      'X-Borealis-Timestamp': '1714576800',
    });
    assert.equal(webhook.prepare(FAILED, CONFIG).headers(0)['X-Borealis-Event'], 'deployment');
  });

  it('with a secret, signs "<timestamp>.<body>" with HMAC-SHA256, anew for each attempt', () => {
    const request = webhook.prepare(FAILED, { ...CONFIG, secret: 's3cret' });
    for (const nowMs of [1_000_000_000_000, 1_000_000_060_000]) {
      const headers = request.headers(nowMs);
      const timestamp = String(nowMs / 1000);
      assert.equal(headers['X-Borealis-Timestamp'], timestamp);
      const expected = createHmac('sha256', 's3cret').update(`${timestamp}.${request.body}`).digest('hex');
      assert.equal(headers['X-Borealis-Signature'], `sha256=${expected}`);
    }
    assert.notEqual(
      request.headers(1_000_000_000_000)['X-Borealis-Signature'],
      request.headers(1_000_000_060_000)['X-Borealis-Signature'],
    );
  });

  it('gives every event its own delivery id and keeps it for all attempts', () => {
    const first = webhook.prepare(FAILED, CONFIG);
    const second = webhook.prepare(FAILED, CONFIG);
    assert.notEqual(first.headers(0)['X-Borealis-Delivery'], second.headers(0)['X-Borealis-Delivery']);
    assert.equal(first.headers(0)['X-Borealis-Delivery'], first.headers(5000)['X-Borealis-Delivery']);
  });

  it('any 2xx is success', () => {
    assert.deepEqual(
      [200, 202, 204, 301, 404, 500].map((status) => webhook.accepts(status)),
      [true, true, true, false, false, false],
    );
  });
});
