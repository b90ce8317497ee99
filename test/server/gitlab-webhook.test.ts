import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { RunningServer } from '../../src/server/app.js';
import { errorOf, listen, post, recorder } from './harness.js';

const TOKEN = 'gl-token-0123456789';

/**
 * The shape of GitLab's push event (docs: "Webhook events", Push events), trimmed. Each call
 * is a new push (a new commit): the server refuses a body it has already accepted.
 */
function gitlabPush(objectKind: 'push' | 'tag_push', ref: string): string {
  const after = randomBytes(20).toString('hex');
  return JSON.stringify({
    object_kind: objectKind,
    event_name: objectKind,
    before: '95790bf891e76fee5e1747ab589903a6a1f80f22',
    after,
    ref,
    checkout_sha: after,
    user_name: 'John Smith',
    project_id: 15,
    project: { id: 15, name: 'Diaspora', path_with_namespace: 'mike/diaspora', default_branch: 'master' },
    commits: [{ id: after, message: 'fixed readme' }],
    total_commits_count: 1,
  });
}

function gitlabHeaders(token: string | undefined, event: string, extra: Record<string, string> = {}) {
  return {
    'content-type': 'application/json',
    'x-gitlab-event': event,
    'x-gitlab-event-uuid': randomUUID(),
    ...(token === undefined ? {} : { 'x-gitlab-token': token }),
    ...extra,
  };
}

describe('POST /hooks/gitlab', () => {
  const rec = recorder({ gitlab: TOKEN });
  let server: RunningServer;
  let hook: string;
  before(async () => {
    server = await listen(rec);
    hook = `${server.url}/hooks/gitlab`;
  });
  after(() => server.close());
  beforeEach(() => rec.reset());

  it('accepts a Push Hook with the right token: 202 and one onPush', async () => {
    const delivery = randomUUID();
    const answer = await post(
      hook,
      gitlabPush('push', 'refs/heads/master'),
      gitlabHeaders(TOKEN, 'Push Hook', { 'x-gitlab-event-uuid': delivery }),
    );
    assert.equal(answer.status, 202);
    assert.deepEqual(answer.body, { ok: true, event: 'Push Hook', delivery });
    assert.deepEqual(rec.pushes, [{ provider: 'gitlab', delivery, ref: 'refs/heads/master' }]);
  });

  it('accepts a Tag Push Hook', async () => {
    const answer = await post(
      hook,
      gitlabPush('tag_push', 'refs/tags/v1.0.0'),
      gitlabHeaders(TOKEN, 'Tag Push Hook'),
    );
    assert.equal(answer.status, 202);
    assert.deepEqual(
      rec.pushes.map((push) => push.ref),
      ['refs/tags/v1.0.0'],
    );
  });

  for (const [name, token] of [
    ['a wrong token of the same length', 'gl-token-9876543210'],
    ['a shorter token', 'gl'],
    ['a token with the right prefix', `${TOKEN}x`],
  ] as const) {
    it(`refuses ${name} with 401 and no onPush`, async () => {
      const answer = await post(
        hook,
        gitlabPush('push', 'refs/heads/master'),
        gitlabHeaders(token, 'Push Hook'),
      );
      assert.equal(answer.status, 401);
      assert.match(errorOf(answer), /^bad token: X-Gitlab-Token does not match/);
      assert.deepEqual(rec.pushes, []);
    });
  }

  it('refuses a missing token with 401', async () => {
    const answer = await post(
      hook,
      gitlabPush('push', 'refs/heads/master'),
      gitlabHeaders(undefined, 'Push Hook'),
    );
    assert.equal(answer.status, 401);
    assert.match(errorOf(answer), /^missing token: the X-Gitlab-Token header is required/);
    assert.deepEqual(rec.pushes, []);
  });

  it('ignores other events with 200', async () => {
    const answer = await post(
      hook,
      JSON.stringify({ object_kind: 'issue' }),
      gitlabHeaders(TOKEN, 'Issue Hook'),
    );
    assert.equal(answer.status, 200);
    assert.deepEqual(answer.body, { ok: true, event: 'Issue Hook', ignored: true });
    assert.deepEqual(rec.pushes, []);
  });

  it('refuses a replayed X-Gitlab-Event-UUID with 409', async () => {
    const headers = gitlabHeaders(TOKEN, 'Push Hook', { 'x-gitlab-event-uuid': randomUUID() });
    const body = gitlabPush('push', 'refs/heads/master');
    assert.equal((await post(hook, body, headers)).status, 202);
    const replay = await post(hook, body, headers);
    assert.equal(replay.status, 409);
    assert.match(errorOf(replay), /^replayed delivery: X-Gitlab-Event-UUID /);
    assert.equal(rec.pushes.length, 1);
  });

  it('refuses a delivery without X-Gitlab-Event-UUID with 400 (GitLab always sends one)', async () => {
    const headers: Record<string, string> = gitlabHeaders(TOKEN, 'Push Hook');
    delete headers['x-gitlab-event-uuid'];
    const answer = await post(hook, gitlabPush('push', 'refs/heads/master'), headers);
    assert.equal(answer.status, 400);
    assert.match(errorOf(answer), /^missing X-Gitlab-Event-UUID header: every delivery needs a unique id/);
    assert.deepEqual(rec.pushes, []);
  });

  it('refuses a body that is not JSON with 400, even with the right token', async () => {
    const answer = await post(hook, 'ref=refs/heads/master', gitlabHeaders(TOKEN, 'Push Hook'));
    assert.equal(answer.status, 400);
    assert.deepEqual(rec.pushes, []);
  });

  it('refuses a missing X-Gitlab-Event with 400', async () => {
    const headers: Record<string, string> = gitlabHeaders(TOKEN, 'Push Hook');
    delete headers['x-gitlab-event'];
    const answer = await post(hook, gitlabPush('push', 'refs/heads/master'), headers);
    assert.equal(answer.status, 400);
    assert.equal(errorOf(answer), 'missing X-Gitlab-Event header');
    assert.deepEqual(rec.pushes, []);
  });
});
