import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { RunningServer } from '../../src/server/app.js';
import { errorOf, get, listen, recorder } from './harness.js';

describe('read-only API', () => {
  const rec = recorder({});
  let server: RunningServer;
  before(async () => (server = await listen(rec)));
  after(() => server.close());
  beforeEach(() => {
    rec.reset();
    rec.healthy = true;
  });

  it('GET /api/status answers 200 with the daemon status', async () => {
    const answer = await get(`${server.url}/api/status`);
    assert.equal(answer.status, 200);
    assert.match(answer.headers.get('content-type') ?? '', /^application\/json/);
    assert.deepEqual(answer.body, { commit: 'abc123', jobs: 2 });
  });

  for (const [query, limit] of [
    ['', 50],
    ['?limit=1', 1],
    ['?limit=7', 7],
    ['?limit=1000', 1000],
    ['?limit=007', 7],
  ] as const) {
    it(`GET /api/deployments${query} asks for ${limit}`, async () => {
      const answer = await fetch(`${server.url}/api/deployments${query}`);
      assert.equal(answer.status, 200);
      assert.equal(((await answer.json()) as { deployments: unknown[] }).deployments.length, limit);
      assert.deepEqual(rec.deploymentLimits, [limit]);
    });
  }

  for (const query of ['0', '1001', '-1', '1.5', 'abc', '', '1e3', '10&limit=20', '99999999999']) {
    it(`GET /api/deployments?limit=${query} answers 400 without asking the daemon`, async () => {
      const answer = await get(`${server.url}/api/deployments?limit=${query}`);
      assert.equal(answer.status, 400);
      assert.match(errorOf(answer), /^invalid limit .*: expected an integer from 1 to 1000$/);
      assert.deepEqual(rec.deploymentLimits, []);
    });
  }

  it('GET /healthz answers 200 when healthy and 503 when not, with the health object', async () => {
    const healthy = await get(`${server.url}/healthz`);
    assert.deepEqual([healthy.status, healthy.body], [200, { ok: true, leader: true }]);
    rec.healthy = false;
    const sick = await get(`${server.url}/healthz`);
    assert.deepEqual([sick.status, sick.body], [503, { ok: false, leader: true }]);
  });

  it('answers unknown routes and methods with 404 JSON', async () => {
    for (const [method, path] of [
      ['GET', '/nope'],
      ['POST', '/api/status'],
      ['GET', '/hooks/github'],
      ['POST', '/hooks/bitbucket'],
    ] as const) {
      const response = await fetch(`${server.url}${path}`, { method });
      assert.equal(response.status, 404, `${method} ${path}`);
      assert.deepEqual(await response.json(), { error: `not found: ${method} ${path}` });
    }
  });
});

describe('a failing daemon', () => {
  const secretDetail = 'ENOENT: /var/lib/borealis/state/applied.json';
  const fail = () => Promise.reject(new Error(secretDetail));
  const rec = recorder({}, { status: fail, deployments: fail, health: fail });
  let server: RunningServer;
  before(async () => (server = await listen(rec)));
  after(() => server.close());

  for (const [path, operation] of [
    ['/api/status', 'status'],
    ['/api/deployments', 'deployments'],
    ['/healthz', 'health'],
  ] as const) {
    it(`${path} answers 500 with an error but no stack or detail, and logs the cause`, async () => {
      rec.reset();
      const response = await fetch(`${server.url}${path}`);
      const text = await response.text();
      assert.equal(response.status, 500);
      assert.deepEqual(JSON.parse(text), {
        error: `${operation} failed: internal error (details in the daemon log)`,
      });
      assert.doesNotMatch(text, /ENOENT|at .*\.js|stack/);
      assert.deepEqual(rec.logs, [`error GET ${path}: ${operation} failed: ${secretDetail}`]);
    });
  }

  it('still sends JSON when the daemon returns a bare string or nothing', async () => {
    for (const value of ['a string', undefined]) {
      const odd = recorder({}, { status: () => Promise.resolve(value) });
      const oddServer = await listen(odd);
      try {
        const answer = await get(`${oddServer.url}/api/status`);
        assert.deepEqual([answer.status, answer.body], [200, value ?? null]);
      } finally {
        await oddServer.close();
      }
    }
  });
});
