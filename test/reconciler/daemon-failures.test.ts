/**
 * Issue 21, items 4 and 9: no commit stops the daemon. A commit whose deployment throws is
 * recorded as failed and the daemon heals the last applied commit; a wedged rollout fails
 * by its progress deadline and the next commit deploys; a missing branch does not stop
 * healing; a deletion sliced over several commits meets the mass-kill guard. Real Git
 * repositories and the real daemon, on the in-memory cluster and state store: the subject
 * is what the daemon decides and records, not processes.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import type { LaunchScript, MemoryTasksOptions } from '../../src/cluster/memory/memory-tasks.js';
import type { TaskLaunch } from '../../src/cluster/types.js';
import { FAILPOINT_ENV } from '../../src/reconciler/failpoint.js';
import { startDaemon, type RunningDaemon } from '../support/daemon-env.js';
import { sleeperJob } from '../support/jobs.js';
import { MemoryEnv } from '../support/memory-env.js';
import { eventually } from '../support/waiting.js';

const web = (version: string, fields: Record<string, unknown> = {}) =>
  sleeperJob(
    'web',
    { instances: 2, update_config: { batch_size: 1, watch_secs: 0 }, ...fields },
    `echo ${version}; exec sleep 1000`,
  );

/** Kills one task through a second view of the cluster, as an operator (or a crash) would. */
async function killOne(env: MemoryEnv, name: string): Promise<string> {
  const [victim] = await env.liveTasks(name);
  await env.killByHand(victim!.taskId);
  return victim!.taskId;
}

async function relaunched(
  running: RunningDaemon,
  env: MemoryEnv,
  name: string,
  victim: string,
  count: number,
) {
  await running.until(async () => {
    const live = await env.liveTasks(name);
    return live.length === count && live.every((t) => t.taskId !== victim && t.state === 'RUNNING');
  }, `${name} back to ${count} running instances without ${victim}`);
}

/** A daemon that deployed `jobs` before the tests of the describe block calling this. */
function deployedDaemon(
  message: string,
  jobs: () => Record<string, unknown>[],
  machines: MemoryTasksOptions = {},
): { env: MemoryEnv; running: RunningDaemon } {
  const deployed = {} as { env: MemoryEnv; running: RunningDaemon };
  before(async () => {
    deployed.env = new MemoryEnv(machines);
    const first = deployed.env.commitJobs(message, jobs());
    deployed.running = await startDaemon(deployed.env);
    assert.equal((await deployed.running.recordOf(first)).outcome, 'succeeded');
  });
  after(async () => {
    await deployed.running.stop();
    await deployed.env.cleanup();
  });
  return deployed;
}

describe('a commit whose deployment throws', () => {
  const deployed = deployedDaemon('v1', () => [web('v1')]);
  afterEach(() => {
    delete process.env[FAILPOINT_ENV];
  });

  for (const phase of ['planning', 'applying'] as const) {
    it(`while ${phase} is recorded as failed; the daemon heals the applied commit and deploys the next`, async () => {
      const { env, running } = deployed;
      const applied = (await running.records.applied())!.commit;
      env.repo.git('checkout', '-q', '-b', `poison-${phase}`);
      const poison = env.commitJobs(`poison while ${phase}`, [web(`poison-${phase}`)]);
      env.repo.git('checkout', '-q', 'main');
      process.env[FAILPOINT_ENV] = `${phase}:throw:${poison}`;
      env.repo.git('merge', '-q', '--ff-only', `poison-${phase}`);

      const record = await running.recordOf(poison);
      assert.equal(record.outcome, 'failed');
      assert.equal(record.error?.code, 'DEPLOY_INTERNAL_ERROR');
      assert.match(record.error?.message ?? '', /injected fault while/);
      assert.equal(record.reason, 'DEPLOY_INTERNAL_ERROR');
      assert.match(record.detail ?? '', new RegExp(`internal error while ${phase}: .*not retried`));
      assert.equal(record.attempt, undefined, 'the record is closed');
      assert.equal(
        (await running.records.applied())?.commit,
        applied,
        'the applied commit is the last good one',
      );

      const victim = await killOne(env, 'web');
      await relaunched(running, env, 'web', victim, 2);
      const records = (await running.deployments.list(100)).filter((r) => r.commit === poison);
      assert.equal(records.length, 1, 'the failed commit was not tried again by the heal');

      const next = env.commitJobs(`after poison ${phase}`, [web(`next-${phase}`)]);
      assert.equal((await running.recordOf(next, 60_000)).outcome, 'succeeded');
      assert.ok((await env.liveTasks('web')).every((t) => t.commit === next));
    });
  }
});

/**
 * A task with a health check is RUNNING only once healthy (as Thermos reports it); this one's
 * check never decides, as the local cluster forgives failures in the first hour.
 */
const healthNeverDecided = (launch: TaskLaunch): LaunchScript =>
  launch.config.health_check_config ? { state: 'STARTING' } : { state: 'RUNNING' };

describe('a wedged rollout', () => {
  const deployed = deployedDaemon('v1', () => [web('v1')], { script: healthNeverDecided });

  it('whose health never passes fails by its progress deadline, and the next commit deploys', async () => {
    const { env, running } = deployed;
    const neverHealthy = web('v2', {
      update_config: { batch_size: 1, watch_secs: 0, progress_deadline_secs: 2, rollback_on_failure: false },
      // Failures in the first hour are forgiven: the task neither passes nor fails.
      health_check_config: {
        shell: { shell_command: 'exit 1' },
        initial_interval_secs: 3600,
        interval_secs: 5,
      },
    });
    const wedged = env.commitJobs('v2 never healthy', [neverHealthy]);
    const failed = await running.recordOf(wedged, 60_000);
    assert.equal(failed.outcome, 'failed', failed.detail);
    const events = failed.jobs[0]!.events.filter((e) => e.event === 'INSTANCE_UPDATE_FAILED');
    assert.match(events[0]?.detail ?? '', /no progress for 2 s \(update_config.progress_deadline_secs\)/);

    const next = env.commitJobs('v3', [web('v3')]);
    assert.equal((await running.recordOf(next, 60_000)).outcome, 'succeeded');
    const live = await env.liveTasks('web');
    assert.equal(live.length, 2);
    assert.ok(live.every((t) => t.commit === next));
  });

  it('watching for longer than anyone waits gives way to a newer commit', async () => {
    const { env, running } = deployed;
    const slow = web('v4', {
      update_config: { batch_size: 1, watch_secs: 3000, progress_deadline_secs: 3600 },
    });
    const watching = env.commitJobs('v4 watched for 50 minutes', [slow]);
    await eventually(
      async () => (await env.liveTasks('web')).some((t) => t.commit === watching && t.state === 'RUNNING'),
      30_000,
      'a v4 instance running',
      100,
    );
    const revert = env.commitJobs('v5 revert', [web('v5')]);
    const superseded = await running.recordOf(watching, 60_000);
    assert.equal(superseded.outcome, 'superseded');
    assert.equal((await running.recordOf(revert, 60_000)).outcome, 'succeeded');
    const live = await env.liveTasks('web');
    assert.deepEqual(
      live.map((t) => [t.instance, t.commit]),
      [
        [0, revert],
        [1, revert],
      ],
    );
  });
});

describe('the tracked branch missing', () => {
  const deployed = deployedDaemon('v1', () => [web('v1')]);

  it('heals the applied commit, says so once, and deploys again when the branch is back', async () => {
    const { env, running } = deployed;
    env.repo.git('checkout', '-q', '--detach');
    env.repo.git('branch', '-q', '-D', 'main');
    const victim = await killOne(env, 'web');
    await relaunched(running, env, 'web', victim, 2);
    const again = await killOne(env, 'web');
    await relaunched(running, env, 'web', again, 2);
    const warnings = running.logs.filter((line) => /cannot read branch main/.test(line));
    assert.equal(warnings.length, 1, running.logs.join('\n'));
    assert.match(warnings[0]!, /healing the applied commit until it can be read again/);

    env.repo.git('checkout', '-q', '-b', 'main');
    const back = env.commitJobs('v2 after the branch came back', [web('v2')]);
    assert.equal((await running.recordOf(back, 60_000)).outcome, 'succeeded');
    assert.ok(running.logs.some((line) => /branch main is back/.test(line)));
  });
});

describe('a deletion sliced over several commits', () => {
  const names = ['a', 'b', 'c', 'd', 'e'];
  const deployed = deployedDaemon('five jobs', () => names.map((name) => sleeperJob(name)));

  it('is refused once the kills of recent commits add up to more than half', async () => {
    const { env, running } = deployed;
    const first = env.commitJobs(
      'drop a and b',
      names.slice(2).map((name) => sleeperJob(name)),
    );
    assert.equal((await running.recordOf(first, 60_000)).outcome, 'succeeded', 'two of five is not half');
    const second = env.commitJobs(
      'drop c',
      names.slice(3).map((name) => sleeperJob(name)),
    );
    const refused = await running.recordOf(second, 60_000);
    assert.equal(refused.outcome, 'rejected');
    assert.equal(refused.reason, 'MASS_KILL');
    assert.equal(
      refused.detail,
      'refused: this plan and 1 recent deployment(s) would kill 3 of 5 running jobs within the last 10 deployments (24 h); pass --allow-mass-kill if that is intended',
    );
    assert.equal((await env.liveTasks('c')).length, 1, 'c still runs');
  });
});
