/**
 * `reconcile`'s progress counts the rollout, not the plan: a rollout resumed after its
 * reconciler died counts the instances the first run already updated (2/3, 3/3; not 1/2, 2/2).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { DeployEnv } from '../support/deploy-env.js';
import { sleeperJob } from '../support/jobs.js';
import { withTimeout } from '../support/waiting.js';

const BIN = fileURLToPath(new URL('../../../bin/borealis.js', import.meta.url));

const job = (version: string) =>
  sleeperJob(
    'web',
    { instances: 3, update_config: { batch_size: 1, watch_secs: 1 } },
    `echo ${version}; exec sleep 1000`,
  );

/** `borealis reconcile` as its own process, SIGKILLed at its first line matching `pattern`. */
async function reconcileKilledAt(env: DeployEnv, pattern: RegExp): Promise<string[]> {
  const child = spawn(process.execPath, [BIN, '--repo', env.repo.dir, '--state', env.state, 'reconcile'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const seen: string[] = [];
  for await (const line of createInterface({ input: child.stdout })) {
    seen.push(line);
    if (pattern.test(line)) {
      child.kill('SIGKILL');
      break;
    }
  }
  await withTimeout(exited, 10_000, 'the killed reconciler to exit');
  return seen;
}

describe('reconcile progress', () => {
  let env: DeployEnv;
  before(async () => {
    env = new DeployEnv();
    env.commitJobs('v1', [job('v1')]);
    const first = await env.cli('reconcile');
    assert.equal(first.code, 0, first.stdout + first.stderr);
    assert.match(first.stdout, /web\/0: INSTANCE_UPDATING \(0\/3 creating\)/);
  });
  after(() => env.cleanup());

  it('counts every instance of a rolling update, with its batch, and a resumed one from where it was', async () => {
    env.commitJobs('v2', [job('v2')]);
    const killed = await reconcileKilledAt(env, /INSTANCE_UPDATED/);
    assert.match(killed.join('\n'), /web\/0: INSTANCE_UPDATING \(0\/3 updating batch 1 of 3\)/);
    assert.match(killed.at(-1)!, /web\/0: INSTANCE_UPDATED \(1\/3 updating batch 2 of 3\)/);

    const resumed = await env.cli('reconcile');
    assert.equal(resumed.code, 0, resumed.stdout + resumed.stderr);
    const updated = resumed.stdout.split('\n').filter((line) => line.includes('INSTANCE_UPDATED'));
    assert.deepEqual(
      updated.map((line) => /\((\d+\/\d+)/.exec(line)?.[1]),
      ['2/3', '3/3'],
      resumed.stdout,
    );
    assert.match(resumed.stdout, /ROLLOUT_FINISHED ROLLED_FORWARD \(3\/3 rolled forward\)/);
  });
});
