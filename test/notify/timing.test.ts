import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_DELIVERY_POLICY } from '../../src/notify/delivery.js';
import { createNotifier } from '../../src/notify/index.js';
import { formatDuration } from '../../src/notify/message.js';
import { TokenBucket } from '../../src/notify/rate-limit.js';
import { backoffDelay, parseRetryAfter, retryDelay } from '../../src/notify/retry.js';
import { ThrottledLog } from '../../src/notify/throttled-log.js';
import { BorealisError } from '../../src/errors.js';

describe('back-off and Retry-After', () => {
  it('doubles from 1 s and stops at 60 s', () => {
    const delays = [1, 2, 3, 4, 5, 6, 7, 8].map((n) => backoffDelay(n, DEFAULT_DELIVERY_POLICY));
    assert.deepEqual(delays, [1000, 2000, 4000, 8000, 16_000, 32_000, 60_000, 60_000]);
  });

  it('the server’s Retry-After wins over the back-off, clipped to retryAfterMaxMs', () => {
    assert.equal(retryDelay(5, 2000, DEFAULT_DELIVERY_POLICY), 2000);
    assert.equal(retryDelay(1, 0, DEFAULT_DELIVERY_POLICY), 0);
    assert.equal(retryDelay(1, 86_400_000, DEFAULT_DELIVERY_POLICY), 300_000);
    assert.equal(retryDelay(3, undefined, DEFAULT_DELIVERY_POLICY), 4000);
  });

  const now = Date.parse('2015-10-21T07:28:00Z');
  const cases: [string | null, number | undefined][] = [
    ['2', 2000],
    [' 120 ', 120_000],
    ['0', 0],
    ['Wed, 21 Oct 2015 07:28:30 GMT', 30_000],
    ['Wed, 21 Oct 2015 07:00:00 GMT', 0],
    ['-5', undefined],
    ['1.5', undefined],
    ['soon', undefined],
    ['', undefined],
    [null, undefined],
  ];
  for (const [header, expected] of cases) {
    it(`Retry-After ${JSON.stringify(header)} → ${String(expected)} ms`, () => {
      assert.equal(parseRetryAfter(header, now), expected);
    });
  }
});

describe('TokenBucket', () => {
  it('lets `burst` through at once, then one per 1/rate s, refilling while idle up to `burst`', () => {
    let clock = 0;
    const bucket = new TokenBucket(1, 5, () => clock);
    assert.deepEqual(
      [1, 2, 3, 4, 5].map(() => bucket.reserve()),
      [0, 0, 0, 0, 0],
    );
    assert.equal(bucket.reserve(), 1000);
    assert.equal(bucket.reserve(), 2000);
    clock = 2000;
    assert.equal(bucket.reserve(), 1000);
    clock = 60_000;
    assert.deepEqual(
      [1, 2, 3, 4, 5, 6].map(() => bucket.reserve()),
      [0, 0, 0, 0, 0, 1000],
    );
  });
});

describe('ThrottledLog', () => {
  it('logs the first failure, counts the next within the interval, reports the count with the next line', () => {
    let clock = 0;
    const lines: string[] = [];
    const log = new ThrottledLog(
      (line) => lines.push(line),
      300_000,
      () => clock,
    );
    assert.equal(log.report('a'), true);
    clock = 1000;
    assert.equal(log.report('b'), false);
    clock = 299_999;
    assert.equal(log.report('c'), false);
    clock = 300_000;
    assert.equal(log.report('d'), true);
    clock = 700_000;
    log.report('e');
    assert.deepEqual(lines, ['a', 'd (2 more failures since the last report)', 'e']);
  });
});

describe('formatDuration', () => {
  const cases: [number, string][] = [
    [0, '0 s'],
    [45_000, '45 s'],
    [12 * 60_000, '12 min'],
    [3 * 3600_000, '3 h'],
    [(3 * 60 + 20) * 60_000, '3 h 20 min'],
    [50 * 3600_000, '2 d 2 h'],
    [-5000, '0 s'],
  ];
  for (const [ms, expected] of cases)
    it(`${ms} ms → ${expected}`, () => assert.equal(formatDuration(ms), expected));
});

describe('createNotifier options', () => {
  for (const [name, options] of [
    ['a zero rate', { ratePerSecond: 0 }],
    ['a negative timeout', { requestTimeoutMs: -1 }],
    ['NaN attempts', { maxAttempts: Number.NaN }],
    ['fractional attempts', { maxAttempts: 1.5 }],
    ['a burst below 1', { burst: 0.5 }],
  ] as const) {
    it(`refuses ${name}`, () => {
      assert.throws(() => createNotifier([], options), BorealisError);
    });
  }

  it('takes undefined options as the defaults', () => {
    assert.doesNotThrow(() => createNotifier([], { ratePerSecond: undefined }));
  });
});
