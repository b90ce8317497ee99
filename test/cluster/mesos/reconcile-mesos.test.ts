/**
 * The whole pipeline on Mesos: commits in a real Git repository, `borealis reconcile` with a
 * clusters.yaml naming a Mesos cluster, the protocol-faithful test master with 50 agents.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { DeployEnv } from '../../support/deploy-env.js';
import { jobObject } from '../../support/jobs.js';
import { agents, MesosMaster, QUICK_TIMINGS, ROOMY_AGENT } from '../../support/mesos-master/index.js';

const webFields = (version: string) => ({
  cluster: 'west',
  name: 'web',
  instances: 4,
  service: true,
  constraints: { host: 'limit:1' },
  update_config: { batch_size: 2, watch_secs: 0 },
  task: {
    processes: [{ name: 'serve', cmdline: `serve --version ${version} --port {{thermos.ports[http]}}` }],
    resources: { cpu: 0.5, ram: '128MiB', disk: '64MiB', ports: ['http'] },
  },
});
const web = (version: string) => jobObject(webFields(version));

describe('reconcile onto a Mesos cluster', () => {
  let master: MesosMaster;
  let env: DeployEnv;

  const commit = (message: string, job: Record<string, unknown>) =>
    env.repo.commit(message, {
      'clusters.yaml': stringify({
        clusters: [{ name: 'west', type: 'mesos', master: master.url, role: 'prod', user: 'root' }],
      }),
      'jobs/web.yaml': stringify(job),
    });
  const running = () => master.tasks().filter((t) => t.state === 'TASK_RUNNING');

  before(async () => {
    master = await MesosMaster.start({
      agents: agents(50, ROOMY_AGENT),
      ...QUICK_TIMINGS,
      // Mesos's own task validation refuses what the job named `bad` asks for.
      behaviour: (info) =>
        String(info.name).includes('.bad.')
          ? { kind: 'refused', message: 'Container image not allowed' }
          : { kind: 'runs' },
    });
    env = new DeployEnv();
  });
  after(async () => {
    await master.close();
    env.repo.remove();
  });

  it('deploys a job, then rolls an update through, with every request in the Mesos message shapes', async () => {
    commit('v1', web('v1'));
    const first = await env.cli('--cluster', 'west', 'reconcile');
    assert.equal(first.code, 0, first.stdout + first.stderr);
    assert.equal(running().length, 4);
    commit('v2', web('v2'));
    const second = await env.cli('--cluster', 'west', 'reconcile');
    assert.equal(second.code, 0, second.stdout + second.stderr);
    assert.match(second.stdout, /restart 4 instances \[0-3\]/);
    assert.equal(running().length, 4, 'old tasks killed, new ones running');
    assert.equal(master.tasks().filter((t) => t.state === 'TASK_KILLED').length, 4);
    assert.deepEqual(master.violations, []);
    const again = await env.cli('--cluster', 'west', 'reconcile');
    assert.match(again.stdout, /No changes/);
  });

  it('status reads the cluster through the operator API, without subscribing', async () => {
    const subscribes = master.calls.filter((c) => c.type === 'SUBSCRIBE').length;
    const result = await env.cli('--cluster', 'west', 'status', '-o', 'json');
    assert.equal(result.code, 0, result.stdout + result.stderr);
    const report = JSON.parse(result.stdout) as {
      jobs: { job: string; sync: string; instances: { state: string; host: string }[] }[];
    };
    const job = report.jobs.find((j) => j.job.endsWith('/web'))!;
    assert.equal(job.sync, 'synced');
    assert.deepEqual(
      job.instances.map((i) => i.state),
      ['RUNNING', 'RUNNING', 'RUNNING', 'RUNNING'],
    );
    assert.equal(new Set(job.instances.map((i) => i.host)).size, 4, 'hosts from GET_AGENTS');
    assert.equal(master.calls.filter((c) => c.type === 'SUBSCRIBE').length, subscribes, 'no subscription');
  });

  it('plan warns about instances the cluster cannot place, and changes nothing', async () => {
    const tasks = master.tasks().length;
    commit('too big', { ...web('v2'), instances: 55 });
    const result = await env.cli('--cluster', 'west', 'plan', '-o', 'json');
    assert.equal(result.code, 0, result.stdout + result.stderr);
    const plan = JSON.parse(result.stdout) as { warnings: string[] };
    // limit:1 per host on 50 agents: the 4 replaced instances fit again, 5 of the 51 added do not.
    assert.deepEqual(
      plan.warnings.filter((w) => /cannot be placed/.test(w)),
      [
        'west/www-data/prod/web: 5 instances [50-54] cannot be placed on the cluster now (limit:1 on host reached on 50 offers); they will wait for resources',
      ],
    );
    assert.equal(master.tasks().length, tasks, 'a plan launches nothing');
    commit('v2 again', web('v2'));
  });

  it('a task Mesos refuses (TASK_ERROR) fails the deployment once and is not retried', async () => {
    const bad = jobObject({ ...webFields('v1'), name: 'bad', instances: 2 });
    env.repo.commit('a job Mesos refuses', { 'jobs/bad.yaml': stringify(bad) });
    const first = await env.cli('--cluster', 'west', 'reconcile');
    assert.equal(first.code, 3, first.stdout + first.stderr);
    assert.match(first.stdout, /Container image not allowed/);
    const refused = () =>
      master.calls.filter((c) => c.type === 'ACCEPT' && JSON.stringify(c.body).includes('.bad.'));
    const launched = refused().length;
    const second = await env.cli('--cluster', 'west', 'reconcile');
    assert.match(
      second.stdout,
      /bad: the cluster refused configuration \w+ as invalid \(Container image not allowed\)/,
    );
    assert.equal(refused().length, launched, 'no retry of a refused task');
    assert.deepEqual(master.violations, []);
  });
});
