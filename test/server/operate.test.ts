/** POST /api/sync (authenticated, leader only) and GET /metrics on a real server. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RunningServer } from '../../src/server/app.js';
import { errorOf, listen, post, recorder, type Recorder } from './harness.js';

describe('POST /api/sync', () => {
  let rec: Recorder;
  let server: RunningServer;
  let syncs = 0;
  let leading = true;

  before(async () => {
    rec = recorder(
      {},
      {
        apiToken: 'open sesame',
        sync: () => {
          if (!leading) return { accepted: false, reason: 'not the leader' };
          syncs++;
          return { accepted: true };
        },
      },
    );
    server = await listen(rec);
  });
  after(() => server.close());

  const sync = (authorization?: string) =>
    post(`${server.url}/api/sync`, '{}', {
      'content-type': 'application/json',
      ...(authorization ? { authorization } : {}),
    });

  it('applies on a request with the token: 202', async () => {
    const answer = await sync('Bearer open sesame');
    assert.equal(answer.status, 202);
    assert.deepEqual(answer.body, { accepted: true });
    assert.equal(syncs, 1);
  });

  it('refuses without the token, with another, or another scheme: 401, and does nothing', async () => {
    for (const authorization of [undefined, 'Bearer open', 'Bearer open sesame!', 'Basic b3Blbg==']) {
      const answer = await sync(authorization);
      assert.equal(answer.status, 401, String(authorization));
      assert.match(errorOf(answer), /Authorization: Bearer/);
    }
    assert.equal(syncs, 1);
  });

  it('a follower says it cannot: 409 with the reason', async () => {
    leading = false;
    const answer = await sync('Bearer open sesame');
    leading = true;
    assert.equal(answer.status, 409);
    assert.equal(errorOf(answer), 'not the leader');
  });

  it('without a configured token sync is disabled: 403', async () => {
    const open = recorder({}, { sync: () => ({ accepted: true }) });
    const other = await listen(open);
    try {
      const answer = await post(`${other.url}/api/sync`, '{}', { authorization: 'Bearer anything' });
      assert.equal(answer.status, 403);
      assert.match(errorOf(answer), /BOREALIS_API_TOKEN/);
    } finally {
      await other.close();
    }
  });

  it('is not served at all when the daemon offers no sync: 404', async () => {
    const plain = await listen(recorder({}));
    try {
      const response = await fetch(`${plain.url}/api/sync`, { method: 'POST' });
      assert.equal(response.status, 404);
    } finally {
      await plain.close();
    }
  });
});
