/**
 * Replay protection through a real server: a verified delivery sent again is refused
 * however its id is spelled, under a fresh id, after many other deliveries, and after the
 * server restarts; a delivery without the id its sender always sends is refused. (That no
 * number of other deliveries flushes one out of the window is shown on ReplayWindow itself,
 * in units.test.ts: 10,001 deliveries over HTTP take too long for a shared machine.)
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { sign } from '@octokit/webhooks-methods';
import { Metrics } from '../../src/metrics/metrics.js';
import type { RunningServer, ServerOptions } from '../../src/server/app.js';
import { signGeneric } from '../../src/server/signatures/generic.js';
import { errorOf, listen, post, recorder, type Recorder } from './harness.js';

const SECRETS = { github: 'gh-secret', gitlab: 'gl-token', generic: 'generic-secret' };

/** A push body as a sender would make it: unique per push (its head commit differs). */
function pushBody(): string {
  return JSON.stringify({ ref: 'refs/heads/main', after: randomUUID(), head_commit: { id: randomUUID() } });
}

async function github(url: string, body: string, delivery: string | undefined) {
  return post(`${url}/hooks/github`, body, {
    'content-type': 'application/json',
    'x-github-event': 'push',
    'x-hub-signature-256': await sign(SECRETS.github, body),
    ...(delivery === undefined ? {} : { 'x-github-delivery': delivery }),
  });
}

function gitlab(url: string, body: string, delivery: string | undefined) {
  return post(`${url}/hooks/gitlab`, body, {
    'content-type': 'application/json',
    'x-gitlab-event': 'Push Hook',
    'x-gitlab-token': SECRETS.gitlab,
    ...(delivery === undefined ? {} : { 'x-gitlab-event-uuid': delivery }),
  });
}

function generic(url: string, body: string, delivery: string | undefined) {
  return post(`${url}/hooks/generic`, body, {
    'content-type': 'application/json',
    'x-signature': signGeneric(SECRETS.generic, body),
    ...(delivery === undefined ? {} : { 'x-delivery': delivery }),
  });
}

const spellings = (id: string) => ({
  'the same id': id,
  'the id upper-cased': id.toUpperCase(),
  'the id without dashes': id.replaceAll('-', ''),
  'the id upper-cased without dashes': id.replaceAll('-', '').toUpperCase(),
  'the id in braces': `{${id}}`,
  'a fresh id': randomUUID(),
});

describe('webhook replays', () => {
  const rec: Recorder = recorder(SECRETS);
  const metrics = new Metrics({
    jobs: () => Promise.resolve([]),
    openDrift: () => Promise.resolve([]),
    isLeader: () => true,
  });
  rec.deps.onRefusal = (reason) => {
    rec.refusals.push(reason);
    metrics.httpRefused(reason);
  };
  let server: RunningServer;
  before(async () => (server = await listen(rec)));
  after(() => server.close());
  beforeEach(() => rec.reset());

  for (const [provider, send] of [
    ['github', github],
    ['gitlab', gitlab],
    ['generic', generic],
  ] as const) {
    describe(provider, () => {
      const body = pushBody();
      const id = randomUUID();
      it('accepts a fresh delivery', async () => {
        assert.equal((await send(server.url, body, id)).status, 202);
        assert.equal(rec.pushes.length, 1);
      });
      for (const [name, replayed] of Object.entries(spellings(id))) {
        it(`refuses the same body sent again with ${name}: 409, no push`, async () => {
          const answer = await send(server.url, body, replayed);
          assert.equal(answer.status, 409);
          assert.match(errorOf(answer), /^replayed delivery: /);
          assert.deepEqual(rec.pushes, []);
          assert.deepEqual(rec.refusals, ['replay']);
        });
      }
      it('refuses a delivery without its id: 400 with what to send, no push', async () => {
        const answer = await send(server.url, pushBody(), undefined);
        assert.equal(answer.status, 400);
        assert.match(
          errorOf(answer),
          /^missing X-[\w-]+ header: every delivery needs a unique id so that a replay/,
        );
        assert.deepEqual(rec.pushes, []);
        assert.deepEqual(rec.refusals, ['missing_delivery_id']);
      });
      it('accepts another delivery (new body, new id) after all that', async () => {
        assert.equal((await send(server.url, pushBody(), randomUUID())).status, 202);
      });
    });
  }

  it('counts refusals in borealis_http_refusals_total by reason', async () => {
    const text = (await metrics.exposition()).body;
    const count = (reason: string) =>
      Number(
        new RegExp(`^borealis_http_refusals_total\\{reason="${reason}"\\} (\\d+)$`, 'm').exec(text)?.[1],
      );
    assert.equal(count('replay'), 3 * 6);
    assert.equal(count('missing_delivery_id'), 3);
  });
});

describe('the replay window across restarts', () => {
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), 'borealis-replay-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  async function withServer<T>(
    rec: Recorder,
    options: Partial<ServerOptions>,
    use: (url: string) => Promise<T>,
  ): Promise<T> {
    const server = await listen(rec, options);
    try {
      return await use(server.url);
    } finally {
      await server.close();
    }
  }

  it('refuses, after a restart, a delivery accepted before it (by id and by body)', async () => {
    const file = join(dir, 'deliveries.jsonl');
    const rec = recorder(SECRETS);
    const body = pushBody();
    const id = randomUUID();
    await withServer(rec, { replayFile: file }, async (url) => {
      assert.equal((await github(url, body, id)).status, 202);
    });
    await withServer(rec, { replayFile: file }, async (url) => {
      assert.equal((await github(url, body, id.toUpperCase())).status, 409);
      assert.equal((await github(url, body, randomUUID())).status, 409);
      assert.equal((await github(url, pushBody(), id)).status, 409);
      assert.equal((await github(url, pushBody(), randomUUID())).status, 202);
    });
    assert.equal(rec.pushes.length, 2);
  });

  it('forgets what is older than the window, and skips a line cut short by a crash', async () => {
    const file = join(dir, 'old.jsonl');
    const body = pushBody();
    const id = randomUUID();
    const { createHash } = await import('node:crypto');
    const digest = createHash('sha256').update(body).digest('hex');
    const old = new Date(Date.now() - 25 * 3600_000).toISOString();
    writeFileSync(
      file,
      `${JSON.stringify({ format_version: 1, at: old, provider: 'github', id, digest })}\n{"format_version":1,"at":`,
    );
    const rec = recorder(SECRETS);
    await withServer(rec, { replayFile: file }, async (url) => {
      assert.equal((await github(url, body, id)).status, 202, 'out of the 24 h window: a new delivery');
    });
    assert.ok(
      rec.logs.some((line) => /skipped 1 unreadable lines/.test(line)),
      rec.logs.join('\n'),
    );
    const kept = readFileSync(file, 'utf8').trim().split('\n');
    assert.equal(kept.length, 1, 'the expired and the broken line were dropped when the file was compacted');
    assert.equal((JSON.parse(kept[0]!) as { id: string }).id, id);
  });

  it('refuses new deliveries with 503 and Retry-After when the window is full, forgetting none', async () => {
    const rec = recorder(SECRETS);
    await withServer(rec, { replayCapacity: 2 }, async (url) => {
      const first = pushBody();
      const firstId = randomUUID();
      assert.equal((await generic(url, first, firstId)).status, 202);
      assert.equal((await generic(url, pushBody(), randomUUID())).status, 202);
      const full = await generic(url, pushBody(), randomUUID());
      assert.equal(full.status, 503);
      assert.match(errorOf(full), /^too many deliveries: the 2 remembered to refuse replays/);
      assert.ok(Number(full.headers.get('retry-after')) > 3600, 'retry when the oldest leaves the window');
      assert.equal((await generic(url, first, firstId)).status, 409);
      assert.deepEqual(rec.refusals, ['replay_window_full', 'replay']);
    });
  });
});
