import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkContentType } from '../../src/server/content-type.js';
import { localUrl, parseListen } from '../../src/server/listen.js';
import { ReplayCache } from '../../src/server/replay-cache.js';
import { constantTimeEqual } from '../../src/server/signatures/constant-time.js';
import { startServer } from '../../src/server/app.js';
import { recorder } from './harness.js';

describe('ReplayCache', () => {
  it('refuses a key it has seen', () => {
    const cache = new ReplayCache(3);
    assert.equal(cache.remember('a'), true);
    assert.equal(cache.remember('a'), false);
  });

  it('stays bounded, forgetting the least recently seen key', () => {
    const cache = new ReplayCache(2);
    cache.remember('a');
    cache.remember('b');
    cache.remember('a'); // a replay refreshes a
    cache.remember('c'); // evicts b, the least recently seen
    assert.equal(cache.size, 2);
    assert.equal(cache.remember('a'), false);
    assert.equal(cache.remember('b'), true);
  });

  it('forgets a key on request', () => {
    const cache = new ReplayCache(2);
    cache.remember('a');
    cache.forget('a');
    assert.equal(cache.remember('a'), true);
  });

  it('refuses a size that is not a positive integer', () => {
    for (const size of [0, -1, 1.5, Number.NaN]) assert.throws(() => new ReplayCache(size), RangeError);
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
    const server = await startServer(recorder({}).deps, '127.0.0.1:0');
    const port = Number(new URL(server.url).port);
    assert.ok(port > 0);
    assert.equal((await fetch(`${server.url}/healthz`)).status, 200);
    await server.close();
    await assert.rejects(fetch(`${server.url}/healthz`));
  });

  it('rejects when the port is taken', async () => {
    const first = await startServer(recorder({}).deps, '127.0.0.1:0');
    try {
      await assert.rejects(
        startServer(recorder({}).deps, `127.0.0.1:${new URL(first.url).port}`),
        /EADDRINUSE/,
      );
    } finally {
      await first.close();
    }
  });
});
