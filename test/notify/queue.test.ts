import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DriftEvent } from '../../src/notify/index.js';
import { deadUrl } from '../support/http-peers.js';
import { drift } from './fixtures.js';
import { notifierFor, receiver, sinkAt } from './harness.js';

function numbered(n: number): DriftEvent {
  return drift('opened', { id: `missing:job/${n}`, instance: n });
}

function idsOf(bodies: unknown[]): string[] {
  return bodies.map((body) => (body as { event: DriftEvent }).event.id);
}

describe('queueing, rate limit and close', () => {
  it('spaces a burst: `burst` at once, then one per 1/rate s, in order', async (t) => {
    const chat = await receiver(t);
    const { notifier } = notifierFor(t, [sinkAt(chat)], { ratePerSecond: 20, burst: 2 });
    // The receiver stamps arrivals with this same clock.
    const notifiedAt = performance.timeOrigin + performance.now();
    for (let n = 0; n < 6; n += 1) notifier.notify(numbered(n));
    const requests = await chat.waitFor(6);
    for (let k = 2; k < 6; k += 1) {
      // With 2 tokens at the start, the k-th message's token refills (k - 1) × 50 ms later;
      // 2 ms for the rounding of timers. A message sent late does not move the next one.
      const after = requests[k]!.at - notifiedAt;
      assert.ok(after >= (k - 1) * 50 - 2, `request ${k} after ${after} ms`);
    }
    assert.deepEqual(
      idsOf(chat.bodies()),
      [0, 1, 2, 3, 4, 5].map((n) => `missing:job/${n}`),
    );
  });

  it('drops the oldest waiting message when the queue is full, counts it and logs once', async (t) => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const chat = await receiver(t, [{ until: gate }]);
    const { notifier, recorder } = notifierFor(t, [sinkAt(chat)], { queueLimit: 3 });
    notifier.notify(numbered(0));
    await chat.waitFor(1);
    for (let n = 1; n <= 5; n += 1) notifier.notify(numbered(n));
    const [held] = notifier.stats();
    assert.deepEqual([held?.queued, held?.dropped], [3, 2]);
    assert.equal(recorder.count('dropped'), 2);
    assert.equal(recorder.lines.filter((line) => line.includes('queue full')).length, 1);
    release();
    await recorder.waitFor('sent', 4);
    assert.deepEqual(
      idsOf(chat.bodies()),
      [0, 3, 4, 5].map((n) => `missing:job/${n}`),
    );
    assert.match(recorder.lines.at(-1) ?? '', /queue drained; 2 messages were dropped while it was full$/);
  });

  it('close() delivers everything queued before it resolves', async (t) => {
    const chat = await receiver(t);
    const { notifier } = notifierFor(t, [sinkAt(chat)], { ratePerSecond: 20, burst: 1 });
    for (let n = 0; n < 4; n += 1) notifier.notify(numbered(n));
    await notifier.close({ timeoutMs: 5000 });
    assert.equal(chat.requests.length, 4);
    assert.equal(notifier.stats()[0]?.sent, 4);
  });

  it('close() gives up at its deadline: the request in flight is aborted, the rest dropped', async (t) => {
    const chat = await receiver(t, [], { hang: true });
    const { notifier, recorder } = notifierFor(t, [sinkAt(chat)], { requestTimeoutMs: 10_000 });
    notifier.notify(numbered(0));
    notifier.notify(numbered(1));
    await chat.waitFor(1);
    const before = performance.now();
    await notifier.close({ timeoutMs: 200 });
    const took = performance.now() - before;
    // It waited its own deadline, not the request's 10 s timeout.
    assert.ok(took >= 190 && took < 10_000, `close took ${took} ms`);
    const [stats] = notifier.stats();
    assert.deepEqual([stats?.sent, stats?.dropped, stats?.queued], [0, 2, 0]);
    assert.match(recorder.lines.at(-1) ?? '', /closing: 2 undelivered messages dropped$/);
    notifier.notify(numbered(2));
    assert.equal(notifier.stats()[0]?.dropped, 3);
    assert.match(recorder.lines.at(-1) ?? '', /^notify: closed; dropping a drift event/);
  });

  it('close() does not wait out a back-off longer than its deadline', async (t) => {
    const chat = await receiver(t, [], { status: 503 });
    const { notifier, recorder } = notifierFor(t, [sinkAt(chat)], { backoffInitialMs: 60_000 });
    notifier.notify(numbered(0));
    await recorder.waitFor('retried');
    const before = performance.now();
    await notifier.close({ timeoutMs: 100 });
    assert.ok(performance.now() - before < 60_000, 'close did not wait out the 60 s back-off');
    assert.equal(notifier.stats()[0]?.dropped, 1);
  });

  it('a sink that keeps failing is logged once per interval, without its URL path', async (t) => {
    const down = `${await deadUrl()}/T000/B000/hunter2`;
    const { notifier, recorder } = notifierFor(t, [sinkAt(down)], { maxAttempts: 1 });
    for (let n = 0; n < 3; n += 1) notifier.notify(numbered(n));
    await recorder.waitFor('failed', 3);
    assert.equal(recorder.lines.length, 1);
    assert.match(
      recorder.lines[0] ?? '',
      /^notify webhook\(127\.0\.0\.1:\d+\): message failed after 1 attempts: request failed: connect ECONNREFUSED/,
    );
    assert.ok(!recorder.lines[0]?.includes('hunter2'));
    assert.equal(notifier.stats()[0]?.consecutiveFailures, 3);
  });
});
