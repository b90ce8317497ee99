/**
 * A rolled-back update is held: the watch daemon does not try it again on every resync
 * (each try would kill healthy instances, fail and roll back), lost instances are healed
 * with the configuration that works, and a commit that changes the job ends the hold.
 * `borealis reconcile`, an explicit request, retries it. Real local cluster, real Git.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DeployEnv } from '../support/deploy-env.js';
import { startDaemon, type RunningDaemon } from '../support/daemon-env.js';
import { sleeperJob } from '../support/jobs.js';
import type { StatusReport } from '../../src/status/job-status.js';

const web = (cmdline: string) =>
  sleeperJob('web', { instances: 2, update_config: { batch_size: 1, watch_secs: 1 } }, cmdline);
const GOOD = 'exec sleep 1000';
const BROKEN = 'exit 1';

describe('a rolled-back update is held', () => {
  let env: DeployEnv;
  let running: RunningDaemon;
  const configOf = async (name = 'web') => new Set((await env.liveTasks(name)).map((t) => t.configHash));

  before(async () => {
    env = new DeployEnv();
    env.commitJobs('v1', [web(GOOD)]);
    running = await startDaemon(env, { resyncMs: 100 });
    await running.until(async () => (await env.liveTasks('web')).length === 2, 'v1 running');
  });
  after(async () => {
    await running.stop();
    await env.cleanup();
  });

  it('is not tried again on resync, and says so in the plan', async () => {
    const good = await configOf();
    const broken = env.commitJobs('v2 broken', [web(BROKEN)]);
    assert.equal((await running.recordOf(broken, 60_000)).outcome, 'rolled_back');
    const launched = (await env.tasks()).length;
    for (let pass = 0; pass < 5; pass++) await running.daemon.nextPass();
    assert.equal((await env.tasks()).length, launched, 'five resyncs launched nothing');
    assert.deepEqual(await configOf(), good, 'the instances run the configuration that works');
    const record = await running.records.job('local/www-data/prod/web');
    assert.equal(record?.held?.outcome, 'rolled_back');
    assert.equal(record?.held?.commit, broken);
    const status = await env.cli('status');
    assert.match(status.stdout, /^local\/www-data\/prod\/web +HELD +healthy +2\/2 running/m);
    assert.match(
      status.stdout,
      new RegExp(`sync: the update to \\w+ from commit ${broken.slice(0, 12)} failed and was rolled back`),
    );
    const plan = await env.cli('plan', '--detailed-exitcode');
    assert.equal(plan.code, 2, 'a held update is a difference');
    assert.match(
      plan.stdout,
      /! local\/www-data\/prod\/web: held: .* failed and was rolled back; running \w+;/,
    );
    assert.doesNotMatch(plan.stdout, /No changes/);
  });

  it('heals a lost instance with the configuration that works, not the held one', async () => {
    const good = await configOf();
    const [victim] = await env.liveTasks('web');
    const observer = env.observer();
    await observer.kill([victim!.taskId]).finally(() => observer.close());
    await running.until(
      async () => (await env.liveTasks('web')).filter((t) => t.state === 'RUNNING').length === 2,
      'the killed instance relaunched',
    );
    assert.deepEqual(await configOf(), good);
  });

  it('ends when a commit changes the job', async () => {
    const fixed = env.commitJobs('v3 fixed', [web('exec sleep 2000')]);
    assert.equal((await running.recordOf(fixed, 60_000)).outcome, 'succeeded');
    const record = await running.records.job('local/www-data/prod/web');
    assert.equal(record?.held, undefined);
    assert.deepEqual(await configOf(), new Set([record!.configHash]));
  });
});

describe('a revert of a held update', () => {
  let env: DeployEnv;
  let running: RunningDaemon;
  const JOB = 'local/www-data/prod/web';

  before(async () => {
    env = new DeployEnv();
    env.commitJobs('v1', [web(GOOD)]);
    running = await startDaemon(env, { resyncMs: 100 });
    await running.until(async () => (await env.liveTasks('web')).length === 2, 'v1 running');
    const broken = env.commitJobs('v2 broken', [web(BROKEN)]);
    assert.equal((await running.recordOf(broken, 60_000)).outcome, 'rolled_back');
    assert.equal((await running.records.job(JOB))?.held?.commit, broken);
  });
  after(async () => {
    await running.stop();
    await env.cleanup();
  });

  it('ends the hold: the job is in sync with the revert commit and plan has no changes', async () => {
    const runningConfig = (await running.records.job(JOB))!.configHash;
    env.repo.git('revert', '--no-edit', 'HEAD');
    const revert = env.repo.git('rev-parse', 'HEAD');
    assert.equal((await running.recordOf(revert, 60_000)).outcome, 'noop');
    const record = await running.records.job(JOB);
    assert.equal(record?.held, undefined);
    assert.equal(record?.commit, revert);
    assert.equal(record?.configHash, runningConfig);
    const status = JSON.parse((await env.cli('status', '-o', 'json')).stdout) as StatusReport;
    assert.deepEqual(
      status.jobs.map((job) => [job.job, job.sync, job.health, job.commit, job.held]),
      [[JOB, 'synced', 'healthy', revert, undefined]],
    );
    const plan = await env.cli('plan', '--detailed-exitcode');
    assert.equal(plan.code, 0, plan.stdout);
    assert.match(plan.stdout, /No changes/);
  });
});

describe('borealis reconcile retries a held update', () => {
  let env: DeployEnv;
  before(() => (env = new DeployEnv()));
  after(() => env.cleanup());

  it('tries the failed configuration again when asked explicitly', async () => {
    env.commitJobs('v1', [web(GOOD)]);
    assert.equal((await env.cli('reconcile')).code, 0);
    env.commitJobs('v2 broken', [web(BROKEN)]);
    assert.equal((await env.cli('reconcile')).code, 3);
    const triedOnce = (await env.tasks()).length;
    const again = await env.cli('reconcile');
    assert.equal(again.code, 3, again.stdout);
    assert.match(again.stdout, /restart 2 instances/);
    assert.ok((await env.tasks()).length > triedOnce, 'the update was tried again');
  });
});
