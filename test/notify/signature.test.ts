import assert from 'node:assert/strict';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { describe, it } from 'node:test';
import type { ReceivedRequest } from '../support/chat-receiver.js';
import { webhookEvent } from '../../src/notify/index.js';
import { FAILED } from './fixtures.js';
import { notifierFor, receiver, sinkAt } from './harness.js';

const SECRET = 'k3y-for-tests';

/** What a receiver of ours would do, with nothing but node:crypto. */
function verifies(request: ReceivedRequest, secret: string): boolean {
  const timestamp = request.headers['x-borealis-timestamp'];
  const signature = request.headers['x-borealis-signature'];
  if (typeof timestamp !== 'string' || typeof signature !== 'string') return false;
  const expected = `sha256=${createHmac('sha256', secret).update(`${timestamp}.${request.body}`).digest('hex')}`;
  return (
    expected.length === signature.length && timingSafeEqual(Buffer.from(expected), Buffer.from(signature))
  );
}

describe('generic webhook signature', () => {
  it('signs every attempt over "<timestamp>.<raw body>" and keeps the delivery id across retries', async (t) => {
    const hook = await receiver(t, [{ status: 503 }]);
    const { notifier, recorder } = notifierFor(t, [sinkAt(hook, 'webhook', SECRET)]);
    notifier.notify(FAILED);
    await recorder.waitFor('sent');
    const [first, retry] = hook.requests;
    for (const request of [first!, retry!]) {
      assert.ok(verifies(request, SECRET), 'signature does not verify');
      assert.ok(!verifies(request, 'another-secret'));
      const timestamp = Number(request.headers['x-borealis-timestamp']);
      assert.ok(Math.abs(timestamp - Date.now() / 1000) < 10, `timestamp ${timestamp}`);
      assert.equal(request.headers['x-borealis-event'], 'deployment');
      const body = request.json as { format_version: number; delivery: string; event: unknown };
      assert.equal(body.delivery, request.headers['x-borealis-delivery']);
      assert.deepEqual(body.event, webhookEvent(FAILED));
    }
    assert.equal(first!.headers['x-borealis-delivery'], retry!.headers['x-borealis-delivery']);
    assert.equal(first!.body, retry!.body);
  });

  it('a body tampered with fails verification', async (t) => {
    const hook = await receiver(t);
    const { notifier, recorder } = notifierFor(t, [sinkAt(hook, 'webhook', SECRET)]);
    notifier.notify(FAILED);
    await recorder.waitFor('sent');
    const [request] = hook.requests;
    assert.ok(verifies(request!, SECRET));
    assert.ok(!verifies({ ...request!, body: request!.body.replace('west', 'east') }, SECRET));
    const replayed = { ...request!, headers: { ...request!.headers, 'x-borealis-timestamp': '1' } };
    assert.ok(!verifies(replayed, SECRET), 'a new timestamp must not verify with the old signature');
  });

  it('without a secret there is no signature header', async (t) => {
    const hook = await receiver(t);
    const { notifier, recorder } = notifierFor(t, [sinkAt(hook)]);
    notifier.notify(FAILED);
    await recorder.waitFor('sent');
    assert.equal(hook.requests[0]?.headers['x-borealis-signature'], undefined);
    assert.match(String(hook.requests[0]?.headers['x-borealis-delivery']), /^[0-9a-f-]{36}$/);
  });
});
