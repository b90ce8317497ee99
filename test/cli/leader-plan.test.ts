/**
 * `plan` asks the leading reconciler (GET /api/plan) before planning itself: the leader's
 * plan of a commit is exactly the one this process would make; a commit with problems, or
 * a cluster the leader does not reconcile, is refused and planned (and reported) here.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { announceWatch } from '../../src/cli/compose/leader-address.js';
import { serverDeps } from '../../src/cli/watch-daemon.js';
import { startServer, type RunningServer } from '../../src/server/app.js';
import type { ServerDeps } from '../../src/server/types.js';
import type { HistoryListDocument } from '../../src/state/deployment-wire.js';
import { startDaemon, type RunningDaemon } from '../support/daemon-env.js';
import { DeployEnv } from '../support/deploy-env.js';
import { sleeperJob } from '../support/jobs.js';
import { assertMatchesSchema } from '../support/json-schemas.js';

const job = (name: string, cmdline = 'exec sleep 1000') => sleeperJob(name, {}, cmdline);

describe('plan through the leading reconciler', () => {
  let env: DeployEnv;
  let running: RunningDaemon;
  let server: RunningServer;
  let withdraw: () => Promise<void>;
  /** What the leader answered each plan request: `planned`, or why it refused. */
  const answers: string[] = [];

  before(async () => {
    env = new DeployEnv();
    const head = env.commitJobs('two jobs', [job('a'), job('b')]);
    running = await startDaemon(env);
    await running.recordOf(head);
    const cluster = env.observer();
    const deps = serverDeps(running.daemon, { ...running, cluster }, 'local', {}, () => {});
    const plan: ServerDeps['plan'] = async (request) => {
      const answer = await deps.plan!(request);
      answers.push('refused' in answer ? answer.refused : 'planned');
      return answer;
    };
    server = await startServer({ ...deps, plan }, '127.0.0.1:0', { log: () => undefined });
    withdraw = await announceWatch(env.state, 'local', server.url);
  });
  after(async () => {
    await withdraw();
    await server.close();
    await running.stop();
    await env.cleanup();
  });

  it('prints the leader’s plan of a branch, the same plan this process makes without a leader', async () => {
    env.repo.git('checkout', '-q', '-b', 'feature');
    env.commitJobs('feature: change a, add c', [job('a', 'exec sleep 2000'), job('b'), job('c')]);
    env.repo.git('checkout', '-q', 'main');
    answers.length = 0;
    const fromLeader = await env.cli('plan', '--ref', 'feature', '-o', 'json');
    assert.equal(fromLeader.code, 0, fromLeader.stderr);
    assert.deepEqual(answers, ['planned']);
    const summary = (JSON.parse(fromLeader.stdout) as { summary: Record<string, number> }).summary;
    assert.deepEqual([summary.create, summary.update, summary.noop], [1, 1, 1]);
    const here = await env.cli('plan', '--ref', 'feature', '-o', 'json', '--no-ask-leader');
    assert.equal(here.code, 0, here.stderr);
    assert.deepEqual(answers, ['planned'], 'the leader was not asked again');
    assert.equal(fromLeader.stdout, here.stdout);
  });

  it('a commit with problems is refused by the leader and reported here, with its positions', async () => {
    env.repo.git('checkout', '-q', '-b', 'broken');
    env.repo.commit('broken', { 'jobs/a.yaml': 'name: [unclosed' });
    env.repo.git('checkout', '-q', 'main');
    answers.length = 0;
    const run = await env.cli('plan', '--ref', 'broken');
    assert.equal(run.code, 1);
    assert.match(answers[0] ?? '', /has problems/);
    assert.match(run.stdout, /^jobs\/a\.yaml:1:7: invalid YAML/m);
  });

  it('serves the plan and the deployment log in their published forms', async () => {
    const head = env.repo.git('rev-parse', 'HEAD');
    const planned = await fetch(`${server.url}/api/plan?commit=${head}&cluster=local`);
    assert.equal(planned.status, 200);
    assertMatchesSchema('plan', await planned.text());
    const deployments = await fetch(`${server.url}/api/deployments`);
    assert.equal(deployments.status, 200);
    const log = assertMatchesSchema<HistoryListDocument>('history', await deployments.text());
    assert.ok(log.deployments.length > 0, 'the first commit was deployed');
  });

  it('another cluster is not the leader’s to plan', async () => {
    answers.length = 0;
    const run = await env.cli('--cluster', 'elsewhere', 'plan');
    assert.deepEqual(answers, ['this reconciler reconciles local']);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /no cluster named "elsewhere"/);
  });

  it('names a commit only by its full id, and answers 404 where nothing plans', async () => {
    const ask = async (query: string, base = server.url) => (await fetch(`${base}/api/plan?${query}`)).status;
    const head = env.repo.git('rev-parse', 'HEAD');
    assert.equal(await ask('commit=main&cluster=local'), 400);
    assert.equal(await ask(`commit=${head.slice(0, 12)}&cluster=local`), 400);
    assert.equal(await ask(`commit=${head}&cluster=local&prune=maybe`), 400);
    assert.equal(await ask(`commit=${head}`), 400, 'the cluster is required');
    assert.equal(await ask(`commit=${head}&cluster=local`), 200);
    assert.equal(await ask(`commit=${'0'.repeat(40)}&cluster=local`), 409, 'no such commit');
    const bare = await startServer(
      {
        ...serverDeps(running.daemon, { ...running, cluster: env.observer() }, 'local', {}, () => {}),
        plan: undefined,
      },
      '127.0.0.1:0',
      { log: () => undefined },
    );
    try {
      assert.equal(await ask(`commit=${head}&cluster=local`, bare.url), 404);
    } finally {
      await bare.close();
    }
  });
});
