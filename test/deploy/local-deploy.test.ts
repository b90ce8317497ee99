/**
 * Rolling updates end to end: real Git commits, the real CLI, real processes on the local
 * cluster. Times come from the tasks' own launch and state-change stamps, so the checks
 * do not depend on when the test happened to look.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { jobObject, sleeperJob } from '../support/jobs.js';
import { DeployEnv, peakConcurrency } from '../support/deploy-env.js';
import { budgetSecs } from '../support/time-scale.js';

const WATCH_SECS = 2;

function webJob(cmdline: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return sleeperJob(
    'web',
    { instances: 4, update_config: { batch_size: 2, watch_secs: WATCH_SECS }, ...extra },
    cmdline,
  );
}

describe('reconcile on the local cluster', () => {
  let env: DeployEnv;
  let v1Hash: string;

  before(async () => {
    env = new DeployEnv();
    env.commitJobs('v1', [webJob('echo v1; exec sleep 1000')]);
    const first = await env.cli('reconcile');
    assert.equal(first.code, 0, first.stdout + first.stderr);
    const live = await env.liveTasks('web');
    assert.deepEqual(
      live.map((t) => [t.instance, t.state]),
      [0, 1, 2, 3].map((i) => [i, 'RUNNING']),
    );
    v1Hash = live[0]!.configHash;
  });
  after(() => env.cleanup());

  it('is idempotent: a second reconcile of the same commit prints "no changes" and touches nothing', async () => {
    const before = await env.tasks();
    const again = await env.cli('reconcile');
    assert.equal(again.code, 0);
    assert.match(again.stdout, /No changes/);
    const afterwards = await env.tasks();
    assert.deepEqual(
      afterwards.map((t) => [t.taskId, t.state]).sort(),
      before.map((t) => [t.taskId, t.state]).sort(),
    );
  });

  it('updates 4 instances with batch_size 2: 0-1, then 2-3 after watch_secs, never above 4 + 2 tasks', async () => {
    env.commitJobs('v2', [webJob('echo v2; exec sleep 1000')]);
    const run = await env.cli('reconcile');
    assert.equal(run.code, 0, run.stdout + run.stderr);
    const tasks = (await env.tasks()).filter((t) => t.jobId.endsWith('/web'));
    const live = tasks.filter((t) => t.state === 'RUNNING').sort((a, b) => a.instance - b.instance);
    assert.equal(live.length, 4);
    const v2Hash = live[0]!.configHash;
    assert.notEqual(v2Hash, v1Hash);
    assert.ok(live.every((t) => t.configHash === v2Hash));
    const newTask = (instance: number) => live.find((t) => t.instance === instance)!;
    // Queue strategy (Aurora's default): at most batch_size instances in flight, and a slot
    // frees when an instance has been RUNNING for watch_secs. So 0-1 go first, and each of
    // 2-3 starts only after one of 0-1 has been watched for the full period.
    const firstDone = Math.min(newTask(0).updatedAt, newTask(1).updatedAt) + WATCH_SECS * 1000;
    for (const instance of [2, 3]) {
      const waited = newTask(instance).launchedAt - firstDone;
      assert.ok(
        waited >= 0,
        `instance ${instance} started ${-waited} ms before a first-batch instance had been watched for ${WATCH_SECS}s`,
      );
    }
    const firstBatchLaunched = Math.max(newTask(0).launchedAt, newTask(1).launchedAt);
    const oldSecondBatch = tasks.filter((t) => t.configHash === v1Hash && t.instance >= 2);
    assert.equal(oldSecondBatch.length, 2);
    assert.ok(
      oldSecondBatch.every(
        (t) => t.state === 'KILLED' && t.updatedAt >= firstDone && t.updatedAt > firstBatchLaunched,
      ),
      'old instances 2-3 were killed only after the first batch was up and watched',
    );
    assert.ok(peakConcurrency(tasks) <= 6, `peak of ${peakConcurrency(tasks)} tasks`);
  });

  it('rolls back a configuration whose process exits at once, leaving every instance healthy on the old one', async () => {
    const good = (await env.liveTasks('web'))[0]!.configHash;
    env.commitJobs('v3 broken', [webJob('echo broken; exit 1')]);
    const run = await env.cli('reconcile');
    assert.equal(run.code, 3, run.stdout + run.stderr);
    assert.match(run.stdout, /rolled back/);
    const live = await env.liveTasks('web');
    assert.deepEqual(
      live.map((t) => [t.instance, t.state, t.configHash]),
      [0, 1, 2, 3].map((i) => [i, 'RUNNING', good]),
    );
  });
});

describe('health-gated updates on the local cluster', () => {
  let env: DeployEnv;
  const httpJob = (cmdline: string) =>
    jobObject({
      name: 'api',
      instances: 2,
      service: true,
      update_config: { batch_size: 2, watch_secs: 1 },
      // The grace period covers the server's start (Python takes seconds to start on a busy
      // machine; failures before it are forgiven, as on Aurora); after it, two failed checks
      // in a row fail the update. A healthy server passes at once, so only the failing update
      // waits the grace period out.
      health_check_config: {
        initial_interval_secs: budgetSecs(10),
        interval_secs: 0.5,
        timeout_secs: budgetSecs(5),
        max_consecutive_failures: 1,
      },
      task: {
        processes: [{ name: 'serve', cmdline, min_duration: 0 }],
        resources: { cpu: 0.1, ram: '16MiB', disk: '16MiB', ports: ['http'] },
        finalization_wait: 1,
      },
    });
  const SERVE = 'exec python3 -m http.server --bind 127.0.0.1 {{thermos.ports[http]}}';

  before(() => {
    env = new DeployEnv();
  });
  after(() => env.cleanup());

  it('fails and rolls back an update whose health check never passes', async () => {
    env.commitJobs('healthy', [httpJob(`echo ok > health && ${SERVE}`)]);
    const first = await env.cli('reconcile');
    assert.equal(first.code, 0, first.stdout + first.stderr);
    const healthy = await env.liveTasks('api');
    assert.ok(healthy.every((t) => t.state === 'RUNNING' && t.healthy === true));
    env.commitJobs('no health endpoint', [httpJob(SERVE)]);
    const run = await env.cli('reconcile');
    assert.equal(run.code, 3, run.stdout + run.stderr);
    assert.match(run.stdout, /rolled back/);
    const live = await env.liveTasks('api');
    assert.deepEqual(
      live.map((t) => [t.instance, t.state, t.healthy, t.configHash]),
      healthy.map((t) => [t.instance, 'RUNNING', true, t.configHash]),
    );
  });
});
