/**
 * A remote repository (a file:// URL, cloned into the state directory) deployed through
 * the real HTTP server: a correctly signed GitHub push payload makes the daemon fetch and
 * deploy; refused requests deploy nothing. The payload's own commit ids are never used —
 * they are GitHub's example ids, which do not exist here.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { after, before, describe, it } from 'node:test';
import { sign } from '@octokit/webhooks-methods';
import { serverDeps } from '../../src/cli/watch-daemon.js';
import { startServer, type RunningServer } from '../../src/server/app.js';
import { DeployEnv } from '../support/deploy-env.js';
import { startDaemon, type RunningDaemon } from '../support/daemon-env.js';
import { sleeperJob } from '../support/jobs.js';
import { TempGitRepo } from '../support/git-repo.js';

const SECRET = 'it is a secret to everybody';
const require = createRequire(import.meta.url);
const examples = require('@octokit/webhooks-examples') as {
  name: string;
  examples: Record<string, unknown>[];
}[];
const PUSH_PAYLOADS = examples.find((entry) => entry.name === 'push')!.examples;

const job = (name: string) => sleeperJob(name);

describe('webhook-triggered deployments from a remote repository', () => {
  let env: DeployEnv;
  let upstream: TempGitRepo;
  let running: RunningDaemon;
  let server: RunningServer;
  let delivery = 0;

  const hook = async (payload: unknown, headers: Record<string, string> = {}) => {
    const body = JSON.stringify(payload);
    const response = await fetch(`${server.url}/hooks/github`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-github-event': 'push',
        'x-github-delivery': `delivery-${++delivery}`,
        'x-hub-signature-256': await sign(SECRET, body),
        ...headers,
      },
      body,
    });
    return response.status;
  };

  before(async () => {
    env = new DeployEnv();
    upstream = new TempGitRepo('borealis-upstream-');
    upstream.commit('first', {
      'clusters.yaml': 'clusters:\n  - name: local\n    type: local\n',
      'jobs/a.yaml': JSON.stringify(job('a')),
    });
    // Polling is slowed right down: only a webhook can explain a prompt deployment.
    running = await startDaemon(env, { pollMs: 3_600_000 }, `file://${upstream.dir}`);
    const env2 = { records: running.records, cluster: env.observer(), deployments: running.deployments };
    server = await startServer(
      serverDeps(running.daemon, env2, 'local', { github: SECRET }, () => {}),
      '127.0.0.1:0',
      { log: () => undefined },
    );
    await running.recordOf(upstream.git('rev-parse', 'HEAD'));
  });
  after(async () => {
    await server.close();
    await running.stop();
    await env.cleanup();
    upstream.remove();
  });

  it('refuses wrong, missing and replayed signatures and non-JSON bodies, deploying nothing', async () => {
    const pending = upstream.commit('add b (not yet announced)', { 'jobs/b.yaml': JSON.stringify(job('b')) });
    const payload = PUSH_PAYLOADS[0]!;
    assert.equal(
      await hook(payload, { 'x-hub-signature-256': await sign('wrong secret', JSON.stringify(payload)) }),
      401,
    );
    const unsigned = await fetch(`${server.url}/hooks/github`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-github-event': 'push',
        'x-github-delivery': 'unsigned',
      },
      body: JSON.stringify(payload),
    });
    assert.equal(unsigned.status, 401);
    const notJson = 'this is not json';
    const bad = await fetch(`${server.url}/hooks/github`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-github-event': 'push',
        'x-github-delivery': 'nj',
        'x-hub-signature-256': await sign(SECRET, notJson),
      },
      body: notJson,
    });
    assert.equal(bad.status, 400);
    assert.equal(await running.deployments.find(pending), null, 'no deployment of the unannounced commit');
    upstream.git('reset', '-q', '--hard', 'HEAD~1');
  });

  it('deploys after a correctly signed push, for every real GitHub push payload shape', async () => {
    for (const [index, payload] of PUSH_PAYLOADS.entries()) {
      const commit = upstream.commit(`change ${index}`, {
        'jobs/a.yaml': JSON.stringify({ ...job('a'), env: { ROUND: String(index) } }),
      });
      assert.equal(await hook(payload), 202);
      const record = await running.recordOf(commit);
      assert.equal(record.outcome, 'succeeded');
      assert.equal(record.trigger, 'webhook');
      assert.equal(record.message, `change ${index}`);
    }
  });

  it('refuses a replayed delivery, however its id is spelled or under a fresh id, without a second fetch', async () => {
    const payload = { ...PUSH_PAYLOADS[1]!, after: randomUUID() }; // a push not sent before
    const id = randomUUID();
    assert.equal(await hook(payload, { 'x-github-delivery': id }), 202);
    await running.daemon.settled();
    const health = (await (await fetch(`${server.url}/healthz`)).json()) as { reconciling: boolean };
    assert.equal(health.reconciling, false, '/healthz says the daemon is idle once it has settled');
    const commit = upstream.commit('after replay', {
      'jobs/a.yaml': JSON.stringify({ ...job('a'), env: { ROUND: 'replay' } }),
    });
    for (const replayed of [id, id.toUpperCase(), id.replaceAll('-', ''), `{${id}}`, randomUUID()]) {
      assert.equal(await hook(payload, { 'x-github-delivery': replayed }), 409, replayed);
    }
    const missing = await hook(payload, { 'x-github-delivery': '' });
    assert.equal(missing, 400, 'a delivery without an id is refused');
    // Had a replay woken the daemon with a fetch, this pass would deploy the commit:
    // a resync never outranks a pending webhook trigger.
    const pass = running.daemon.nextPass();
    running.daemon.trigger('resync');
    assert.equal(running.daemon.reconciling, true, 'a triggered pass counts until it is done');
    await pass;
    assert.equal(await running.deployments.find(commit), null);
  });
});
