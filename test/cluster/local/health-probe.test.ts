import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { after, before, describe, it } from 'node:test';
import { httpProbe, judgeHttpResponse, shellProbe } from '../../../src/cluster/local/health-probe.js';
import type { HttpHealthChecker } from '../../../src/jobspec/types.js';

const checker = (overrides: Partial<HttpHealthChecker> = {}): HttpHealthChecker => ({
  endpoint: '/health',
  expected_response: 'ok',
  expected_response_code: 0,
  ...overrides,
});

describe('judgeHttpResponse', () => {
  const cases: [string, Partial<HttpHealthChecker>, number, string, boolean][] = [
    ['body matches', {}, 200, 'ok', true],
    ['body matches ignoring case and whitespace', {}, 200, ' OK\n', true],
    ['body differs', {}, 200, 'okay', false],
    ['any code passes with expected code 0', {}, 503, 'ok', true],
    ['a code must match when expected', { expected_response_code: 200 }, 503, 'ok', false],
    ['a matching code passes', { expected_response_code: 204 }, 204, 'ok', true],
    ['an empty expected body accepts any body', { expected_response: '' }, 200, 'anything', true],
  ];
  for (const [name, overrides, status, body, passed] of cases) {
    it(name, () => assert.equal(judgeHttpResponse(checker(overrides), status, body).passed, passed));
  }
});

describe('httpProbe', () => {
  let server: Server;
  let port: number;
  before(async () => {
    server = createServer((request, response) => {
      if (request.url === '/slow') return; // never answers
      response.end(request.url === '/health' ? 'OK' : 'nope');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    port = typeof address === 'object' && address !== null ? address.port : 0;
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });

  it('passes on the expected body', async () => {
    assert.deepEqual(await httpProbe(checker(), port, 1)(), { passed: true });
  });

  it('fails on another body', async () => {
    assert.equal((await httpProbe(checker({ endpoint: '/other' }), port, 1)()).passed, false);
  });

  it('fails after timeout_secs when nothing answers', async () => {
    const result = await httpProbe(checker({ endpoint: '/slow' }), port, 0.2)();
    assert.deepEqual(result, { passed: false, reason: 'timed out after 0.2s' });
  });

  it('fails when nothing listens', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const address = closed.address();
    await new Promise((resolve) => closed.close(resolve));
    const freed = typeof address === 'object' && address !== null ? address.port : 0;
    assert.equal((await httpProbe(checker(), freed, 1)()).passed, false);
  });
});

describe('shellProbe', () => {
  const probe = (command: string, timeoutSecs = 1) =>
    shellProbe({ command, cwd: tmpdir(), env: process.env, timeoutSecs })();

  it('passes on exit 0 and fails otherwise', async () => {
    assert.deepEqual(await probe('true'), { passed: true });
    assert.equal((await probe('exit 2')).passed, false);
  });

  it('kills a check that outlives timeout_secs', async () => {
    const started = Date.now();
    const result = await probe('sleep 120', 0.2);
    assert.deepEqual(result, { passed: false, reason: 'timed out after 0.2s' });
    // Killed, not waited for: far below the check's own 120 s, however busy the machine.
    assert.ok(Date.now() - started < 60_000);
  });
});
