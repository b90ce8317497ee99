/**
 * The whole pipeline on Mesos: commits in a real Git repository, `borealis reconcile` with a
 * clusters.yaml naming a Mesos cluster, the protocol-faithful test master with 50 agents.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { DeployEnv } from '../../support/deploy-env.js';
import { jobObject } from '../../support/jobs.js';
import { startQuickMaster, type MesosMaster } from '../../support/mesos-master/index.js';

const web = (version: string) =>
  jobObject({
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
    master = await startQuickMaster(50);
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
});
