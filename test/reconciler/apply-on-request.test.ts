/**
 * `watch --auto-apply=false`: a new commit is announced as out of sync with its plan and
 * applied only on `POST /api/sync` (with the token); `watch --no-prune`: a task no commit
 * declares is reported and left running. Real watch processes, the real local cluster, a
 * real HTTP server standing in for Slack.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { SlackPayload } from '../../src/notify/index.js';
import { ChatReceiver } from '../support/chat-receiver.js';
import { DeployEnv } from '../support/deploy-env.js';
import { sleeperJob } from '../support/jobs.js';
import { buildLaunch, processConfig } from '../support/launch-builder.js';
import { ReconcilerProcess } from '../support/reconciler-process.js';
import { eventually } from '../support/waiting.js';
import { freePort } from '../support/zookeeper.js';

const TOKEN = 'a token of trust';

describe('watch --auto-apply=false', () => {
  let env: DeployEnv;
  let slack: ChatReceiver;
  let reconciler: ReconcilerProcess;
  let port: number;
  const titles = () => slack.bodies().map((body) => (body as SlackPayload).attachments[0].title);
  const texts = () => slack.bodies().map((body) => (body as SlackPayload).attachments[0].text);
  const sync = (token?: string) =>
    fetch(`http://127.0.0.1:${port}/api/sync`, {
      method: 'POST',
      headers: token ? { authorization: `Bearer ${token}` } : {},
    });

  before(async () => {
    env = new DeployEnv();
    slack = await ChatReceiver.start();
    port = await freePort();
    env.commitJobs('web', [sleeperJob('web', { instances: 2 })]);
    reconciler = new ReconcilerProcess('manual', {
      repo: env.repo.dir,
      state: env.state,
      watchArgs: ['--listen', `127.0.0.1:${port}`, '--resync', '1', '--auto-apply', 'false'],
      env: { BOREALIS_NOTIFY_SLACK: slack.url, BOREALIS_API_TOKEN: TOKEN },
    });
  });
  after(async () => {
    reconciler.kill('SIGTERM');
    await reconciler.exited;
    await slack.close();
    await env.cleanup();
  });

  it('announces the head as out of sync with its plan, and applies nothing', async () => {
    const head = env.repo.git('rev-parse', 'HEAD');
    await eventually(
      () => titles().some((t) => t.includes(`${head} out of sync`)),
      30_000,
      'out of sync',
      50,
    );
    assert.match(texts().join('\n'), /is not applied: Plan: 1 to create, 0 to update, 0 to kill\./);
    assert.deepEqual(await env.liveTasks('web'), []);
    const history = JSON.parse((await env.cli('history', '-o', 'json')).stdout) as { deployments: unknown[] };
    assert.deepEqual(history.deployments, [], 'no deployment until asked');
  });

  it('applies on POST /api/sync with the token, then says the head is in sync', async () => {
    assert.equal((await sync()).status, 401);
    assert.equal((await sync('not it')).status, 401);
    assert.deepEqual(await env.liveTasks('web'), [], 'refused requests apply nothing');
    assert.equal((await sync(TOKEN)).status, 202);
    await reconciler.waitFor(/"web" by .*: succeeded/, 60_000);
    const head = env.repo.git('rev-parse', 'HEAD');
    await eventually(
      () => titles().some((t) => t === `Drift resolved: ${head} out of sync`),
      30_000,
      'resolved',
      50,
    );
    assert.equal((await env.liveTasks('web')).length, 2);
  });
});

describe('watch --no-prune', () => {
  let env: DeployEnv;
  let slack: ChatReceiver;
  let reconciler: ReconcilerProcess;
  const titles = () => slack.bodies().map((body) => (body as SlackPayload).attachments[0].title);

  before(async () => {
    env = new DeployEnv();
    slack = await ChatReceiver.start();
    env.commitJobs('web', [sleeperJob('web', { instances: 2 })]);
    reconciler = new ReconcilerProcess('no-prune', {
      repo: env.repo.dir,
      state: env.state,
      watchArgs: ['--no-http', '--resync', '1', '--no-prune'],
      env: { BOREALIS_NOTIFY_SLACK: slack.url },
    });
    await reconciler.waitFor(/"web" by .*: succeeded/, 60_000);
  });
  after(async () => {
    reconciler.kill('SIGTERM');
    await reconciler.exited;
    await slack.close();
    await env.cleanup();
  });

  it('reports a task started by hand and leaves it running, through resyncs and a deployment', async () => {
    const launch = {
      ...buildLaunch({ name: 'web', processes: [processConfig('main', 'exec sleep 1000')] }),
      jobId: 'local/www-data/prod/web',
      key: { cluster: 'local', role: 'www-data', environment: 'prod', name: 'web' },
      instance: 5,
    };
    const observer = env.observer();
    await observer.launch([launch]).finally(() => observer.close());
    await eventually(
      () => titles().includes('Drift opened: local/www-data/prod/web/5 unexpected'),
      30_000,
      'unexpected',
      50,
    );
    // A deployment comes and goes; the task no commit declares is still there.
    const next = env.commitJobs('scale up', [sleeperJob('web', { instances: 3 })]);
    await reconciler.waitFor(new RegExp(`${next.slice(0, 12)} "scale up" .*: succeeded`), 60_000);
    const task = (await env.tasks()).find((t) => t.taskId === launch.taskId);
    assert.equal(task?.state, 'RUNNING');
    assert.ok(!titles().includes('Drift resolved: local/www-data/prod/web/5 unexpected'));
  });
});
