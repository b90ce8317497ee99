import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SinkKind } from '../../src/notify/config.js';
import { slackPayload, teamsPayload, webhookEvent, type NotificationEvent } from '../../src/notify/index.js';
import { deadUrl } from '../support/http-peers.js';
import { drift, FAILED } from './fixtures.js';
import { notifierFor, receiver, sinkAt } from './harness.js';

describe('delivery', () => {
  it('posts each kind of sink its payload as JSON and counts it sent', async (t) => {
    const kinds: SinkKind[] = ['slack', 'mattermost', 'teams', 'webhook'];
    const receivers = await Promise.all(
      kinds.map((kind) => receiver(t, [], kind === 'teams' ? { status: 202 } : {})),
    );
    const { notifier, recorder } = notifierFor(
      t,
      kinds.map((kind, i) => sinkAt(receivers[i]!, kind)),
    );
    notifier.notify(FAILED);
    await recorder.waitFor('sent', 4);
    const [slack, mattermost, teams, webhook] = receivers.map((r) => r.requests);
    for (const requests of [slack, mattermost, teams, webhook]) {
      assert.equal(requests?.length, 1);
      assert.equal(requests[0]?.method, 'POST');
      assert.equal(requests[0]?.headers['content-type'], 'application/json');
      assert.equal(requests[0]?.headers['user-agent'], 'borealis');
    }
    assert.deepEqual(slack?.[0]?.json, slackPayload(FAILED));
    assert.deepEqual(mattermost?.[0]?.json, slackPayload(FAILED));
    assert.deepEqual(teams?.[0]?.json, teamsPayload(FAILED));
    assert.deepEqual((webhook?.[0]?.json as { event: unknown }).event, webhookEvent(FAILED));
    assert.deepEqual(
      notifier.stats().map((s) => [s.kind, s.sent, s.failed, s.consecutiveFailures, typeof s.lastSuccessAt]),
      kinds.map((kind) => [kind, 1, 0, 0, 'number']),
    );
  });

  it('429 with Retry-After: 2 is retried once, no sooner than 2 s later, and counted sent once', async (t) => {
    const chat = await receiver(t, [{ status: 429, headers: { 'Retry-After': '2' }, body: 'rate_limited' }]);
    const { notifier, recorder } = notifierFor(t, [sinkAt(chat, 'slack')]);
    notifier.notify(FAILED);
    await recorder.waitFor('sent', 1, 8000);
    await notifier.close({ timeoutMs: 1000 });
    const [refused, accepted] = chat.requests;
    assert.equal(chat.requests.length, 2);
    assert.ok(accepted!.at - refused!.at >= 2000, `retried after ${accepted!.at - refused!.at} ms`);
    assert.equal(accepted!.body, refused!.body);
    const [stats] = notifier.stats();
    assert.deepEqual([stats?.sent, stats?.retried, stats?.failed, stats?.consecutiveFailures], [1, 1, 0, 0]);
    assert.equal(stats?.lastError, 'HTTP 429: rate_limited');
    assert.equal(recorder.count('sent'), 1);
  });

  it('Retry-After as an HTTP-date is honoured too', async (t) => {
    const retryAt = new Date(Date.now() + 2500).toUTCString();
    const chat = await receiver(t, [{ status: 503, headers: { 'Retry-After': retryAt } }]);
    const { notifier, recorder } = notifierFor(t, [sinkAt(chat)]);
    notifier.notify(FAILED);
    await recorder.waitFor('sent', 1, 8000);
    const [first, second] = chat.requests;
    // The date has whole seconds: the wait is between 1.5 and 2.5 s, less the time the 503 took.
    assert.ok(second!.at - first!.at >= 1000, `retried after ${second!.at - first!.at} ms`);
  });

  it('500 then 200: retried after the back-off and sent once; a retry that succeeds logs nothing', async (t) => {
    const chat = await receiver(t, [{ status: 500, body: 'oops' }]);
    const { notifier, recorder } = notifierFor(t, [sinkAt(chat)]);
    notifier.notify(FAILED);
    await recorder.waitFor('sent');
    const [first, second] = chat.requests;
    assert.equal(chat.requests.length, 2);
    assert.ok(second!.at - first!.at >= 50, `retried after ${second!.at - first!.at} ms`);
    assert.deepEqual(
      recorder.results.map((r) => r.result),
      ['retried', 'sent'],
    );
    assert.deepEqual(recorder.lines, []);
  });

  it('after a logged failure, logs when the sink delivers again', async (t) => {
    const chat = await receiver(t, [{ status: 404, body: 'no_service' }]);
    const { notifier, recorder } = notifierFor(t, [sinkAt(chat)]);
    notifier.notify(FAILED);
    notifier.notify(FAILED);
    await recorder.waitFor('sent');
    const sink = sinkAt(chat).name;
    assert.deepEqual(recorder.lines, [
      `notify ${sink}: message refused, not retried: HTTP 404: no_service`,
      `notify ${sink}: delivering again after 1 failed attempts`,
    ]);
  });

  it('backs off exponentially and gives up after maxAttempts', async (t) => {
    const chat = await receiver(t, [], { status: 503 });
    const { notifier, recorder } = notifierFor(t, [sinkAt(chat)], { maxAttempts: 3, backoffInitialMs: 60 });
    notifier.notify(FAILED);
    await recorder.waitFor('failed');
    const at = chat.requests.map((r) => r.at);
    assert.equal(at.length, 3);
    assert.ok(at[1]! - at[0]! >= 60 && at[2]! - at[1]! >= 120, `gaps ${at[1]! - at[0]!}, ${at[2]! - at[1]!}`);
    const [stats] = notifier.stats();
    assert.deepEqual([stats?.sent, stats?.retried, stats?.failed, stats?.consecutiveFailures], [0, 2, 1, 3]);
    assert.deepEqual(recorder.lines, [
      `notify ${sinkAt(chat).name}: message failed after 3 attempts: HTTP 503: ok`,
    ]);
  });

  it('400 is not retried: counted failed and logged with the answer', async (t) => {
    const chat = await receiver(t, [{ status: 400, body: 'invalid_payload' }]);
    const { notifier, recorder } = notifierFor(t, [sinkAt(chat, 'slack')]);
    notifier.notify(FAILED);
    await recorder.waitFor('failed');
    await notifier.close({ timeoutMs: 1000 });
    assert.equal(chat.requests.length, 1);
    const [stats] = notifier.stats();
    assert.deepEqual([stats?.sent, stats?.retried, stats?.failed], [0, 0, 1]);
    assert.equal(stats?.lastError, 'HTTP 400: invalid_payload');
    assert.deepEqual(recorder.lines, [
      `notify slack(${new URL(chat.url).host}): message refused, not retried: HTTP 400: invalid_payload`,
    ]);
  });

  it('a redirect is not followed (it would resend the message elsewhere)', async (t) => {
    const elsewhere = await receiver(t);
    const chat = await receiver(t, [{ status: 307, headers: { Location: elsewhere.url } }]);
    const { notifier, recorder } = notifierFor(t, [sinkAt(chat)]);
    notifier.notify(FAILED);
    await recorder.waitFor('failed');
    assert.equal(elsewhere.requests.length, 0);
    assert.match(notifier.stats()[0]?.lastError ?? '', /^HTTP 307\b.*not followed/);
  });

  it('a receiver that never answers: notify returns at once, the request times out and is retried', async (t) => {
    const chat = await receiver(t, [{ hang: true }]);
    const { notifier, recorder } = notifierFor(t, [sinkAt(chat)], { requestTimeoutMs: 200 });
    const before = performance.now();
    const returned: unknown = notifier.notify(FAILED);
    const took = performance.now() - before;
    assert.equal(returned, undefined);
    assert.ok(took < 200, `notify took ${took} ms, as long as the request's timeout`);
    await recorder.waitFor('sent');
    const [hung, answered] = chat.requests;
    assert.ok(answered!.at - hung!.at >= 200, `retried after ${answered!.at - hung!.at} ms`);
    assert.equal(notifier.stats()[0]?.lastError, 'timed out after 200 ms');
    assert.equal(notifier.stats()[0]?.retried, 1);
  });

  it('a sink that is down or hanging does not delay another sink of the same notifier', async (t) => {
    const down = await deadUrl();
    const hanging = await receiver(t, [], { hang: true });
    const healthy = await receiver(t);
    const { notifier, recorder } = notifierFor(t, [sinkAt(down), sinkAt(hanging), sinkAt(healthy)], {
      requestTimeoutMs: 5000,
    });
    const before = Date.now();
    notifier.notify(FAILED);
    const [arrived] = await healthy.waitFor(1, 1000);
    assert.ok(arrived!.at - before < 1000);
    await recorder.waitFor('retried', 1, 2000, sinkAt(down).name);
    const [refused] = notifier.stats();
    assert.match(refused?.lastError ?? '', /^request failed: connect ECONNREFUSED 127\.0\.0\.1:\d+$/);
    assert.ok((refused?.consecutiveFailures ?? 0) >= 1);
  });

  it('never throws from notify: a message that cannot be built is counted failed and logged', async (t) => {
    const chat = await receiver(t);
    const { notifier, recorder } = notifierFor(t, [sinkAt(chat)]);
    const circular = { ...drift('opened') } as NotificationEvent & { self?: unknown };
    circular.self = circular;
    assert.doesNotThrow(() => notifier.notify(circular));
    assert.equal(notifier.stats()[0]?.failed, 1);
    assert.match(recorder.lines[0] ?? '', /could not build the message: Converting circular structure/);
    notifier.notify(drift('opened'));
    await recorder.waitFor('sent');
  });

  it('an onResult hook that throws stops nothing and is reported once', async (t) => {
    const chat = await receiver(t);
    const { notifier, recorder } = notifierFor(t, [sinkAt(chat)], {
      onResult: () => {
        throw new Error('metrics down');
      },
    });
    notifier.notify(FAILED);
    notifier.notify(FAILED);
    await chat.waitFor(2);
    await notifier.close({ timeoutMs: 1000 });
    assert.equal(notifier.stats()[0]?.sent, 2);
    assert.deepEqual(recorder.lines, ['notify: onResult threw (ignored from now on): Error: metrics down']);
  });
});
