/**
 * Invariant 3: a reconciler killed with SIGKILL at any point of a rolling update, then
 * restarted, converges to the commit with no instance lost and none duplicated.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { FileStateStore } from '../../src/state/file/file-store.js';
import { Records } from '../../src/state/records.js';
import type { RolloutState } from '../../src/deploy/rollout.js';
import type { RecordedJob } from '../../src/plan/types.js';
import { instanceConfig } from '../../src/jobspec/normalise.js';
import { DeployEnv } from '../support/deploy-env.js';
import { sleeperJob } from '../support/jobs.js';
import { withTimeout } from '../support/waiting.js';
import { join } from 'node:path';

const BIN = fileURLToPath(new URL('../../../bin/borealis.js', import.meta.url));

const job = (version: string) =>
  sleeperJob(
    'web',
    { instances: 4, update_config: { batch_size: 2, watch_secs: 1 } },
    `echo ${version}; exec sleep 1000`,
  );

/** Runs `borealis reconcile` as its own process and SIGKILLs it after the n-th progress line matching `pattern`. */
async function reconcileKilledAfter(env: DeployEnv, pattern: RegExp, n: number): Promise<string[]> {
  const child = spawn(process.execPath, [BIN, '--repo', env.repo.dir, '--state', env.state, 'reconcile'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const seen: string[] = [];
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let matches = 0;
  for await (const line of createInterface({ input: child.stdout })) {
    seen.push(line);
    if (pattern.test(line) && ++matches === n) {
      child.kill('SIGKILL');
      break;
    }
  }
  await withTimeout(exited, 10_000, 'the killed reconciler to exit');
  assert.equal(
    matches,
    n,
    `the reconciler printed only ${matches} lines matching ${pattern}:\n${seen.join('\n')}`,
  );
  return seen;
}

/** Runs `borealis reconcile` and SIGKILLs it `ms` after it starts: an arbitrary instant, not an event. */
async function reconcileKilledAt(env: DeployEnv, ms: number): Promise<void> {
  const child = spawn(process.execPath, [BIN, '--repo', env.repo.dir, '--state', env.state, 'reconcile'], {
    stdio: 'ignore',
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const timer = setTimeout(() => child.kill('SIGKILL'), ms);
  await withTimeout(exited, 30_000, 'the reconciler to exit');
  clearTimeout(timer);
}

/** The saved state of a rollout that reached its end, as `stepRollout` leaves it. */
function finishedRollout(record: RecordedJob, commit: string): RolloutState {
  const target = { configHash: record.configHash, config: instanceConfig(record.config) };
  return {
    version: 1,
    jobId: record.id,
    commit,
    status: 'ROLLED_FORWARD',
    target,
    previous: target,
    previousInstances: record.config.instances,
    settings: record.config.update_config,
    finishIsSuccess: false,
    instances: [],
    removals: [],
    startedAt: 0,
    updatedAt: 0,
  };
}

describe('crash safety of rolling updates', () => {
  let env: DeployEnv;
  let version = 1;

  before(async () => {
    env = new DeployEnv();
    env.commitJobs('v1', [job('v1')]);
    const first = await env.cli('reconcile');
    assert.equal(first.code, 0, first.stdout + first.stderr);
  });
  after(() => env.cleanup());

  const KILL_POINTS: [string, RegExp, number][] = [
    ['right after the first instance starts updating', /INSTANCE_UPDATING/, 1],
    ['after the first batch is updated', /INSTANCE_UPDATED/, 2],
    ['in the middle of the second batch', /INSTANCE_UPDATING/, 3],
    ['as the last instance is updated', /INSTANCE_UPDATED/, 4],
  ];

  const killers: [string, () => Promise<unknown>][] = [
    ...KILL_POINTS.map(([when, pattern, n]): [string, () => Promise<unknown>] => [
      when,
      () => reconcileKilledAfter(env, pattern, n),
    ]),
    // Instants no output line marks, e.g. between saving a rollout step and acting on it.
    ...[450, 900, 1700, 2600].map((ms): [string, () => Promise<unknown>] => [
      `${ms} ms after it started`,
      () => reconcileKilledAt(env, ms),
    ]),
  ];

  // The instant between recording the job and removing its rollout is a few microseconds
  // wide: a SIGKILL lands there only by chance, so the state it leaves is written here.
  it('clears a finished rollout left by a reconciler killed before it removed it', async () => {
    const commit = env.commitJobs(`v${++version}`, [job(`v${version}`)]);
    const done = await env.cli('reconcile');
    assert.equal(done.code, 0, done.stdout + done.stderr);
    const store = await FileStateStore.open(join(env.state, 'store'));
    const records = new Records(store);
    try {
      const record = (await records.jobs()).find((recorded) => recorded.id.endsWith('/web'))!;
      await records.putRollout(finishedRollout(record, commit));
    } finally {
      await store.close();
    }

    const again = await env.cli('reconcile');
    assert.equal(again.code, 0, again.stdout + again.stderr);
    const left = new Records(await FileStateStore.open(join(env.state, 'store')));
    try {
      assert.deepEqual(await left.rollouts(), [], 'no rollout left in flight');
    } finally {
      await left.store.close();
    }
  });

  for (const [when, kill] of killers) {
    // A resumed reconcile that never converges must fail the test, not hang the suite.
    it(`converges after a SIGKILL ${when}`, { timeout: 120_000 }, async () => {
      const commit = env.commitJobs(`v${++version}`, [job(`v${version}`)]);
      await kill();
      const resumed = await env.cli('reconcile');
      assert.equal(resumed.code, 0, resumed.stdout + resumed.stderr);

      const live = await env.liveTasks('web');
      assert.deepEqual(
        live.map((t) => [t.instance, t.state]),
        [0, 1, 2, 3].map((i) => [i, 'RUNNING']),
        'one live task per instance',
      );
      const target = live[0]!.configHash;
      assert.ok(
        live.every((t) => t.configHash === target && t.commit === commit),
        'every instance runs the new commit',
      );
      const launchedForTarget = (await env.tasks()).filter(
        (t) => t.jobId.endsWith('/web') && t.configHash === target,
      );
      assert.equal(
        launchedForTarget.length,
        4,
        `no instance was launched twice: ${launchedForTarget.map((t) => `${t.instance}:${t.state}`).join(' ')}`,
      );

      const records = new Records(await FileStateStore.open(join(env.state, 'store')));
      try {
        assert.deepEqual(await records.rollouts(), [], 'no rollout left in flight');
        assert.equal(
          (await records.job(live[0]!.jobId))?.configHash,
          target,
          'the record holds the new configuration',
        );
        assert.equal((await records.applied())?.commit, commit);
      } finally {
        await records.store.close();
      }
    });
  }
});
