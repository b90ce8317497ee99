import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkContentType } from '../../src/server/content-type.js';
import { localUrl, parseListen } from '../../src/server/listen.js';
import { normaliseDeliveryId } from '../../src/server/delivery-id.js';
import { OverloadReporter } from '../../src/server/overload.js';
import { ReplayWindow } from '../../src/server/replay-window.js';
import { constantTimeEqual } from '../../src/server/signatures/constant-time.js';
import { startServer } from '../../src/server/app.js';
import { withTimeout } from '../support/waiting.js';
import { recorder } from './harness.js';

describe('ReplayWindow', () => {
  const HOUR = 3600_000;
  function windowAt(start: number, windowMs = HOUR, capacity = 3) {
    const clock = { now: start };
    return { clock, replay: new ReplayWindow(windowMs, capacity, () => clock.now) };
  }

  it('refuses a delivery whose id or body it has seen, and accepts a new one', () => {
    const { replay } = windowAt(0);
    assert.equal(replay.claim('github', 'a', 'body-1').kind, 'new');
    assert.deepEqual(replay.claim('github', 'a', 'body-2'), {
      kind: 'replay',
      matched: 'id',
      first: { provider: 'github', id: 'a', digest: 'body-1', at: 0 },
    });
    const sameBody = replay.claim('github', 'b', 'body-1');
    assert.equal(sameBody.kind === 'replay' && sameBody.matched, 'body');
    assert.equal(replay.claim('gitlab', 'a', 'body-1').kind, 'new', 'another provider is another sender');
  });

  it('remembers a delivery for the whole window, however many others arrive', () => {
    const { clock, replay } = windowAt(0, HOUR, 100_000);
    assert.equal(replay.claim('github', 'first', 'd0').kind, 'new');
    for (let i = 1; i <= 10_001; i += 1) replay.claim('github', `id-${i}`, `d${i}`);
    clock.now = HOUR - 1;
    assert.equal(replay.claim('github', 'first', 'dx').kind, 'replay');
    clock.now = HOUR;
    assert.equal(replay.claim('github', 'first', 'dx').kind, 'new', 'out of the window');
  });

  it('when full within the window, refuses new deliveries until the oldest expires', () => {
    const { clock, replay } = windowAt(0, HOUR, 2);
    replay.claim('github', 'a', '1');
    clock.now = 1000;
    replay.claim('github', 'b', '2');
    assert.deepEqual(replay.claim('github', 'c', '3'), { kind: 'full', retryAfterMs: HOUR - 1000 });
    assert.equal(replay.claim('github', 'a', '1').kind, 'replay', 'nothing was forgotten to make room');
    clock.now = HOUR;
    assert.equal(replay.claim('github', 'c', '3').kind, 'new');
  });

  it('forgets a delivery on request (its retry is accepted)', () => {
    const { replay } = windowAt(0);
    const claim = replay.claim('github', 'a', '1');
    assert.equal(claim.kind, 'new');
    if (claim.kind === 'new') replay.forget(claim.delivery);
    assert.equal(replay.size, 0);
    assert.equal(replay.claim('github', 'a', '1').kind, 'new');
  });

  it('refuses a window or capacity that is not positive', () => {
    for (const bad of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      assert.throws(() => new ReplayWindow(bad, 1), RangeError);
    }
    for (const bad of [0, -1, 1.5, Number.NaN]) assert.throws(() => new ReplayWindow(HOUR, bad), RangeError);
  });
});

describe('normaliseDeliveryId', () => {
  const uuid = '72d3162e-cc78-11e3-81ab-4c9367dc0958';
  for (const spelling of [
    uuid,
    uuid.toUpperCase(),
    uuid.replaceAll('-', ''),
    uuid.replaceAll('-', '').toUpperCase(),
    `{${uuid}}`,
    ` ${uuid} `,
  ]) {
    it(`reads ${JSON.stringify(spelling)} as the same UUID`, () =>
      assert.equal(normaliseDeliveryId(spelling), uuid));
  }

  it('compares any other id case-insensitively, keeping its dashes', () => {
    assert.equal(normaliseDeliveryId('Deploy-42'), 'deploy-42');
    assert.notEqual(normaliseDeliveryId('de-ploy42'), normaliseDeliveryId('deploy42'));
  });
});

describe('parseListen', () => {
  const cases = [
    ['127.0.0.1:7070', { host: '127.0.0.1', port: 7070 }],
    [':7070', { host: '0.0.0.0', port: 7070 }],
    ['7070', { host: '0.0.0.0', port: 7070 }],
    ['localhost:0', { host: 'localhost', port: 0 }],
    ['[::1]:8080', { host: '::1', port: 8080 }],
  ] as const;
  for (const [listen, expected] of cases) {
    it(`parses ${listen}`, () => assert.deepEqual(parseListen(listen), expected));
  }
  for (const bad of ['', 'host', 'host:', '70000', '::1:80', 'a b:80', ':-1']) {
    it(`refuses "${bad}"`, () => assert.throws(() => parseListen(bad), /invalid listen address/));
  }
  it('gives a reachable URL for wildcard addresses', () => {
    assert.equal(localUrl('0.0.0.0', 80), 'http://127.0.0.1:80');
    assert.equal(localUrl('::', 80), 'http://[::1]:80');
    assert.equal(localUrl('::1', 80), 'http://[::1]:80');
  });
});

describe('checkContentType', () => {
  const accepted = [
    'application/json',
    'application/json; charset=utf-8',
    'Application/JSON;charset="UTF-8"',
  ];
  for (const type of accepted)
    it(`accepts ${type}`, () => assert.deepEqual(checkContentType(type), { ok: true }));
  const refused = [
    undefined,
    '',
    'text/plain',
    'application/json; charset=iso-8859-1',
    'application/json-seq',
  ];
  for (const type of refused)
    it(`refuses ${String(type)}`, () => assert.equal(checkContentType(type).ok, false));
});

describe('constantTimeEqual', () => {
  it('compares values of any length', () => {
    assert.equal(constantTimeEqual('token', 'token'), true);
    assert.equal(constantTimeEqual('token', 'tokens'), false);
    assert.equal(constantTimeEqual('', 'x'), false);
  });
});

describe('startServer', () => {
  it('listens on port 0 and reports the real port; close() stops it', async () => {
    const server = await startServer(recorder({}).deps, '127.0.0.1:0', { log: () => undefined });
    const port = Number(new URL(server.url).port);
    assert.ok(port > 0);
    assert.equal((await fetch(`${server.url}/healthz`)).status, 200);
    await server.close();
    await assert.rejects(fetch(`${server.url}/healthz`));
  });

  it('rejects when the port is taken', async () => {
    const first = await startServer(recorder({}).deps, '127.0.0.1:0', { log: () => undefined });
    try {
      await assert.rejects(
        startServer(recorder({}).deps, `127.0.0.1:${new URL(first.url).port}`, { log: () => undefined }),
        /EADDRINUSE/,
      );
    } finally {
      await first.close();
    }
  });
});

describe('OverloadReporter', () => {
  it('counts every refusal, logs the first few per interval, then sums up the rest in one line', async () => {
    const lines: string[] = [];
    const counted: string[] = [];
    let summary: (line: string) => void = () => {};
    const summed = new Promise<string>((resolve) => (summary = resolve));
    const reporter = new OverloadReporter(
      (line) => {
        lines.push(line);
        if (/more in the last/.test(line)) summary(line);
      },
      (reason) => void counted.push(reason),
      50,
    );
    for (let i = 0; i < 100; i += 1) reporter.refused('client_connection_limit', `connection ${i}`);
    assert.equal(counted.length, 100);
    assert.deepEqual(
      lines,
      [0, 1, 2].map((i) => `http refused (client_connection_limit): connection ${i}`),
    );
    // The reporter's timer does not keep a process alive; the deadline's timer does.
    assert.equal(
      await withTimeout(summed, 5_000, 'the summary line'),
      'http refused (client_connection_limit): 97 more in the last 0.05 s (not logged one by one)',
    );
    reporter.close();
  });
});
