import assert from 'node:assert/strict';
import { createHmac, randomUUID } from 'node:crypto';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { RunningServer } from '../../src/server/app.js';
import { signGeneric } from '../../src/server/signatures/generic.js';
import { errorOf, listen, post, recorder } from './harness.js';

const SECRET = 'generic-secret';
const BODY = JSON.stringify({ ref: 'refs/heads/main', after: 'da1560886d4f094c3e6c9ef40349f7d38b5d27d7' });

function headers(signature: string | undefined, extra: Record<string, string> = {}): Record<string, string> {
  return {
    'content-type': 'application/json',
    'x-delivery': randomUUID(),
    ...(signature === undefined ? {} : { 'x-signature': signature }),
    ...extra,
  };
}

describe('POST /hooks/generic', () => {
  const rec = recorder({ generic: SECRET });
  let server: RunningServer;
  let hook: string;
  before(async () => {
    server = await listen(rec);
    hook = `${server.url}/hooks/generic`;
  });
  after(() => server.close());
  beforeEach(() => rec.reset());

  it('accepts a body signed with HMAC-SHA256: 202 and one onPush', async () => {
    // Signed independently of the server's helper, as a sender would.
    const signature = `sha256=${createHmac('sha256', SECRET).update(BODY).digest('hex')}`;
    const answer = await post(hook, BODY, headers(signature, { 'x-delivery': 'd-1' }));
    assert.equal(answer.status, 202);
    assert.deepEqual(rec.pushes, [{ provider: 'generic', delivery: 'd-1', ref: 'refs/heads/main' }]);
  });

  it('accepts upper-case hex and a payload without ref', async () => {
    const body = '{"hello":"world"}';
    const answer = await post(
      hook,
      body,
      headers(signGeneric(SECRET, body).toUpperCase().replace('SHA256=', 'sha256=')),
    );
    assert.equal(answer.status, 202);
    assert.deepEqual(
      rec.pushes.map((push) => push.ref),
      [undefined],
    );
  });

  for (const [name, signature] of [
    ['signed with another secret', signGeneric('wrong', BODY)],
    ['signed over other bytes', signGeneric(SECRET, `${BODY} `)],
    ['without the sha256= prefix', signGeneric(SECRET, BODY).slice('sha256='.length)],
    ['with a truncated digest', signGeneric(SECRET, BODY).slice(0, -2)],
    ['with sha1=', `sha1=${createHmac('sha1', SECRET).update(BODY).digest('hex')}`],
  ] as const) {
    it(`refuses a signature ${name} with 401 and no onPush`, async () => {
      const answer = await post(hook, BODY, headers(signature));
      assert.equal(answer.status, 401);
      assert.match(errorOf(answer), /^bad signature: X-Signature does not match/);
      assert.deepEqual(rec.pushes, []);
    });
  }

  it('refuses a missing signature with 401', async () => {
    const answer = await post(hook, BODY, headers(undefined));
    assert.equal(answer.status, 401);
    assert.match(errorOf(answer), /^missing signature: the X-Signature header is required/);
    assert.deepEqual(rec.pushes, []);
  });

  it('refuses a replayed X-Delivery with 409', async () => {
    const body = JSON.stringify({ ref: 'refs/heads/main', after: randomUUID() });
    const h = headers(signGeneric(SECRET, body), { 'x-delivery': 'once' });
    assert.equal((await post(hook, body, h)).status, 202);
    assert.equal((await post(hook, body, h)).status, 409);
    assert.equal(rec.pushes.length, 1);
  });

  it('refuses a delivery without X-Delivery with 400', async () => {
    const body = JSON.stringify({ ref: 'refs/heads/main', after: randomUUID() });
    const h: Record<string, string> = headers(signGeneric(SECRET, body));
    delete h['x-delivery'];
    const answer = await post(hook, body, h);
    assert.equal(answer.status, 400);
    assert.match(errorOf(answer), /^missing X-Delivery header: every delivery needs a unique id/);
    assert.deepEqual(rec.pushes, []);
  });

  it('keeps replay caches apart per provider: the same id from another sender is not a replay', async () => {
    const both = recorder({ generic: SECRET, gitlab: 'tok' });
    const two = await listen(both);
    try {
      const id = 'shared-id';
      const generic = await post(
        `${two.url}/hooks/generic`,
        BODY,
        headers(signGeneric(SECRET, BODY), { 'x-delivery': id }),
      );
      const gitlab = await post(`${two.url}/hooks/gitlab`, BODY, {
        'content-type': 'application/json',
        'x-gitlab-token': 'tok',
        'x-gitlab-event': 'Push Hook',
        'x-gitlab-event-uuid': id,
      });
      assert.deepEqual([generic.status, gitlab.status], [202, 202]);
    } finally {
      await two.close();
    }
  });

  it('refuses a long X-Delivery with 400', async () => {
    const answer = await post(
      hook,
      BODY,
      headers(signGeneric(SECRET, BODY), { 'x-delivery': 'x'.repeat(201) }),
    );
    assert.equal(answer.status, 400);
    assert.deepEqual(rec.pushes, []);
  });
});
