import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { createRequire } from 'node:module';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { WebhookDefinition } from '@octokit/webhooks-examples';
import { sign } from '@octokit/webhooks-methods';
import type { RunningServer } from '../../src/server/app.js';
import { errorOf, get, listen, post, recorder, type Recorder } from './harness.js';

// The package's entry point is a JSON file, which ESM cannot import without an attribute.
const examples = createRequire(import.meta.url)('@octokit/webhooks-examples') as WebhookDefinition[];
const pushExamples = examples.find((e): e is WebhookDefinition<'push'> => e.name === 'push')?.examples ?? [];

const SECRET = 'It’s a Secret to Everybody';
const OVERSIZED = 26 * 1024 * 1024; // 26 MiB: over the 25 MiB default (26 MB would not be: 25 MiB ≈ 26.2 MB)

/**
 * A real payload made unique, as each real push is (its head commit and push time differ):
 * the server refuses a body it has already accepted, under any delivery id.
 */
function freshBody(example: object | undefined): string {
  return JSON.stringify({ ...example, test_nonce: randomUUID() });
}

function githubHeaders(
  signature: string | undefined,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    'content-type': 'application/json',
    'x-github-event': 'push',
    'x-github-delivery': randomUUID(),
    ...(signature === undefined ? {} : { 'x-hub-signature-256': signature }),
    ...extra,
  };
}

describe('POST /hooks/github', () => {
  const rec: Recorder = recorder({ github: SECRET });
  let server: RunningServer;
  let hook: string;
  before(async () => {
    server = await listen(rec);
    hook = `${server.url}/hooks/github`;
  });
  after(() => server.close());
  beforeEach(() => rec.reset());

  async function postSigned(body: string, extra: Record<string, string> = {}) {
    return post(hook, body, githubHeaders(await sign(SECRET, body), extra));
  }

  it('has the 7 real push payloads', () => assert.equal(pushExamples.length, 7));

  for (const [index, example] of pushExamples.entries()) {
    it(`accepts real push payload ${index + 1} (${example.ref}) with one onPush`, async () => {
      const body = JSON.stringify(example);
      const delivery = randomUUID();
      const answer = await postSigned(body, { 'x-github-delivery': delivery });
      assert.equal(answer.status, 202);
      assert.deepEqual(answer.body, { ok: true, event: 'push', delivery });
      assert.deepEqual(rec.pushes, [{ provider: 'github', delivery, ref: example.ref }]);
    });
  }

  it('verifies the raw bytes: a pretty-printed, non-ASCII body that re-serialising would change', async () => {
    const payload = { ...pushExamples[0], ref: 'refs/heads/été', note: 'ünïcödé ✓ \u2028' };
    const answer = await postSigned(JSON.stringify(payload, null, 3), {
      'content-type': 'application/json; charset=utf-8',
    });
    assert.equal(answer.status, 202);
    assert.equal(rec.pushes[0]?.ref, 'refs/heads/été');
  });

  it('refuses a wrong signature with 401 and no onPush', async () => {
    const body = freshBody(pushExamples[0]);
    const answer = await post(hook, body, githubHeaders(await sign('another secret', body)));
    assert.equal(answer.status, 401);
    assert.match(errorOf(answer), /^bad signature: X-Hub-Signature-256 does not match/);
    assert.deepEqual(rec.pushes, []);
  });

  it('refuses a body changed after signing', async () => {
    const signed = freshBody(pushExamples[4]);
    const tampered = signed.replace('refs/heads/master', 'refs/heads/evil');
    const answer = await post(hook, tampered, githubHeaders(await sign(SECRET, signed)));
    assert.equal(answer.status, 401);
    assert.deepEqual(rec.pushes, []);
  });

  it('refuses a malformed signature header', async () => {
    const answer = await post(hook, freshBody(pushExamples[0]), githubHeaders('sha1=abc'));
    assert.equal(answer.status, 401);
    assert.deepEqual(rec.pushes, []);
  });

  it('refuses a missing signature with 401 and a message distinct from a bad one', async () => {
    const answer = await post(hook, freshBody(pushExamples[0]), githubHeaders(undefined));
    assert.equal(answer.status, 401);
    assert.match(errorOf(answer), /^missing signature: the X-Hub-Signature-256 header is required/);
    assert.deepEqual(rec.pushes, []);
  });

  it('refuses a replayed delivery id with 409 and calls onPush once', async () => {
    const body = freshBody(pushExamples[5]);
    const headers = githubHeaders(await sign(SECRET, body));
    assert.equal((await post(hook, body, headers)).status, 202);
    const replay = await post(hook, body, headers);
    assert.equal(replay.status, 409);
    assert.match(errorOf(replay), /^replayed delivery: X-GitHub-Delivery [0-9a-f-]+ was already received \(/);
    assert.equal(rec.pushes.length, 1);
  });

  it('records a delivery id only once its signature verified (a forged request cannot block it)', async () => {
    const body = freshBody(pushExamples[0]);
    const delivery = randomUUID();
    const forged = await post(
      hook,
      body,
      githubHeaders('sha256=' + '0'.repeat(64), { 'x-github-delivery': delivery }),
    );
    assert.equal(forged.status, 401);
    const genuine = await postSigned(body, { 'x-github-delivery': delivery });
    assert.equal(genuine.status, 202);
    assert.equal(rec.pushes.length, 1);
  });

  it('refuses a correctly signed body that is not JSON with 400', async () => {
    const answer = await postSigned('this is not JSON');
    assert.equal(answer.status, 400);
    assert.match(errorOf(answer), /^body is not valid JSON/);
    assert.deepEqual(rec.pushes, []);
  });

  it('refuses correctly signed JSON that is not an object with 400', async () => {
    const answer = await postSigned('["refs/heads/main"]');
    assert.equal(answer.status, 400);
    assert.equal(errorOf(answer), 'body is JSON but not an object');
    assert.deepEqual(rec.pushes, []);
  });

  it('refuses an empty body with 400', async () => {
    const answer = await post(hook, '', githubHeaders('sha256=' + '0'.repeat(64)));
    assert.equal(answer.status, 400);
    assert.deepEqual(rec.pushes, []);
  });

  it("refuses GitHub's form-encoded delivery (correctly signed) with 415 and a hint", async () => {
    const body = `payload=${encodeURIComponent(freshBody(pushExamples[0]))}`;
    const answer = await post(hook, body, {
      ...githubHeaders(await sign(SECRET, body)),
      'content-type': 'application/x-www-form-urlencoded',
    });
    assert.equal(answer.status, 415);
    assert.match(errorOf(answer), /set "Content type" to application\/json in the webhook settings/);
    assert.deepEqual(rec.pushes, []);
  });

  for (const contentType of ['text/plain', 'application/json; charset=latin1', 'application/jsonp']) {
    it(`refuses Content-Type ${contentType} with 415`, async () => {
      const body = freshBody(pushExamples[0]);
      const answer = await post(hook, body, {
        ...githubHeaders(await sign(SECRET, body)),
        'content-type': contentType,
      });
      assert.equal(answer.status, 415);
      assert.deepEqual(rec.pushes, []);
    });
  }

  it('answers ping with 200 and does not call onPush', async () => {
    const body = JSON.stringify({ zen: 'Design for failure.', hook_id: 1 });
    const answer = await postSigned(body, { 'x-github-event': 'ping' });
    assert.equal(answer.status, 200);
    assert.deepEqual(answer.body, { ok: true, event: 'ping' });
    assert.deepEqual(rec.pushes, []);
  });

  it('ignores other events with 200 and no onPush', async () => {
    const issues = examples.find((e) => e.name === 'issues')?.examples[0];
    const answer = await postSigned(JSON.stringify(issues), { 'x-github-event': 'issues' });
    assert.equal(answer.status, 200);
    assert.deepEqual(answer.body, { ok: true, event: 'issues', ignored: true });
    assert.deepEqual(rec.pushes, []);
  });

  it('refuses a signed delivery without X-GitHub-Event or X-GitHub-Delivery with 400', async () => {
    const body = freshBody(pushExamples[0]);
    for (const missing of ['x-github-event', 'x-github-delivery']) {
      const headers = githubHeaders(await sign(SECRET, body));
      delete headers[missing];
      const answer = await post(hook, body, headers);
      assert.equal(answer.status, 400, missing);
      assert.match(errorOf(answer), /^missing X-GitHub-(Event|Delivery) header/);
    }
    assert.deepEqual(rec.pushes, []);
  });

  it('logs one line per decision with provider, delivery and result', async () => {
    // A server of its own: refusals are logged at a bounded rate, which other tests use up.
    const own = recorder({ github: SECRET });
    const server = await listen(own);
    try {
      const url = `${server.url}/hooks/github`;
      const body = freshBody(pushExamples[4]);
      const delivery = randomUUID();
      await post(url, body, githubHeaders(await sign(SECRET, body), { 'x-github-delivery': delivery }));
      await post(url, body, githubHeaders(undefined, { 'x-github-delivery': 'two words' }));
      assert.deepEqual(own.logs, [
        `webhook provider=github delivery=${delivery} status=202 result="push accepted ref=refs/heads/master"`,
        'webhook provider=github delivery="two words" status=401 result="missing signature: the X-Hub-Signature-256 ' +
          'header is required (configure the webhook with the value of BOREALIS_GITHUB_WEBHOOK_SECRET)"',
      ]);
    } finally {
      await server.close();
    }
  });

  describe('a body over the 25 MiB limit', () => {
    let oversized: string;
    let signature: string;
    before(async () => {
      oversized = JSON.stringify({ ref: 'refs/heads/main', padding: 'x'.repeat(OVERSIZED) });
      signature = await sign(SECRET, oversized);
    });

    /** The server either answers 413 with a JSON error or closes the connection mid-upload. */
    async function assertRefusedAndAlive(outcome: Promise<Response>): Promise<void> {
      const response = await outcome.catch((error: unknown) => error);
      if (response instanceof Response) {
        assert.equal(response.status, 413);
        assert.deepEqual(await response.json(), {
          error: 'request body is larger than the limit of 25 MiB (26214400 bytes)',
        });
      } else {
        assert.ok(response instanceof TypeError, `expected a closed connection, got ${String(response)}`);
      }
      assert.deepEqual(rec.pushes, []);
      assert.equal((await get(`${server.url}/healthz`)).status, 200);
    }

    it('a real 26 MiB request (correctly signed) gets 413 JSON or a closed connection, no onPush', async () => {
      await assertRefusedAndAlive(
        fetch(hook, { method: 'POST', headers: githubHeaders(signature), body: oversized }),
      );
    });

    it('a 26 MiB chunked upload without Content-Length is cut off at the limit', async () => {
      const bytes = Buffer.from(oversized);
      const chunk = 1024 * 1024;
      const stream = new ReadableStream<Uint8Array>({
        start(controller) {
          for (let at = 0; at < bytes.length; at += chunk) controller.enqueue(bytes.subarray(at, at + chunk));
          controller.close();
        },
      });
      const outcome = fetch(hook, {
        method: 'POST',
        headers: githubHeaders(signature),
        body: stream,
        duplex: 'half',
      });
      await assertRefusedAndAlive(outcome);
    });

    it('answers 413 from the Content-Length alone, before the body is sent (nothing buffered)', async () => {
      const sent = oversized.slice(0, 64 * 1024); // the first 64 KiB of 26 MiB, then wait for an answer
      const answer = await requestWithPartialBody(
        hook,
        githubHeaders(signature),
        Buffer.byteLength(oversized),
        sent,
      );
      assert.equal(answer.status, 413);
      assert.equal(answer.connection, 'close');
      assert.match(answer.body, /limit of 25 MiB/);
      assert.deepEqual(rec.pushes, []);
      assert.equal((await get(`${server.url}/healthz`)).status, 200);
    });
  });

  it('lets the retry of a delivery through when onPush threw', async () => {
    let fail = true;
    const flaky = recorder(
      { github: SECRET },
      {
        onPush: (hint) => {
          if (fail) throw new Error('queue full');
          flaky.pushes.push(hint);
        },
      },
    );
    const flakyServer = await listen(flaky);
    try {
      const body = freshBody(pushExamples[0]);
      const headers = githubHeaders(await sign(SECRET, body));
      const first = await post(`${flakyServer.url}/hooks/github`, body, headers);
      assert.equal(first.status, 500);
      assert.equal(errorOf(first), 'onPush failed: internal error (details in the daemon log)');
      fail = false;
      assert.equal((await post(`${flakyServer.url}/hooks/github`, body, headers)).status, 202);
      assert.equal(flaky.pushes.length, 1);
    } finally {
      await flakyServer.close();
    }
  });
});

/** Announces `contentLength` bytes, sends only `sent`, and resolves with the answer that arrives anyway. */
function requestWithPartialBody(
  url: string,
  headers: Record<string, string>,
  contentLength: number,
  sent: string,
): Promise<{ status: number | undefined; connection: string | undefined; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, {
      method: 'POST',
      headers: { ...headers, 'content-length': String(contentLength) },
    });
    req.on('error', reject);
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => {
        resolve({ status: res.statusCode, connection: res.headers.connection, body });
        req.destroy();
      });
    });
    req.write(sent);
  });
}

describe('webhooks without a configured secret', () => {
  const rec = recorder({ github: '', gitlab: undefined });
  let server: RunningServer;
  before(async () => (server = await listen(rec)));
  after(() => server.close());

  const cases = [
    ['github', 'BOREALIS_GITHUB_WEBHOOK_SECRET'],
    ['gitlab', 'BOREALIS_GITLAB_WEBHOOK_TOKEN'],
    ['generic', 'BOREALIS_WEBHOOK_SECRET'],
  ] as const;
  for (const [provider, env] of cases) {
    it(`/hooks/${provider} answers 404 naming ${env}`, async () => {
      const body = freshBody(pushExamples[0]);
      const answer = await post(`${server.url}/hooks/${provider}`, body, {
        ...githubHeaders(await sign('anything', body)),
        'x-gitlab-token': 'anything',
        'x-gitlab-event': 'Push Hook',
        'x-signature': await sign('anything', body),
      });
      assert.equal(answer.status, 404);
      assert.equal(errorOf(answer), `webhook not configured: set ${env} to enable /hooks/${provider}`);
      assert.deepEqual(rec.pushes, []);
    });
  }
});
