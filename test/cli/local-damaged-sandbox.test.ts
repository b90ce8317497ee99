/**
 * Damage to the local cluster's sandboxes never makes it run two tasks for one instance, and
 * `local down` stops every process Borealis started there, even those whose sandbox is gone.
 * Processes are counted from the real process table: a task's `sleep` by the sandbox its
 * environment names (MESOS_SANDBOX, so other clusters on the machine do not count), and
 * everything else by the state directory it mentions.
 */
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { DeployEnv } from '../support/deploy-env.js';
import { sleeperJob } from '../support/jobs.js';
import { killProcessesMentioning, processesMentioning } from '../support/process-table.js';
import { eventually, withTimeout } from '../support/waiting.js';

/** The live `sleep` processes of one instance of `web`, whichever task runs them. */
function instanceSleeps(env: DeployEnv, instance: number): number[] {
  return processesMentioning(
    `MESOS_SANDBOX=${join(env.state, 'sandboxes', `www-data-prod-web-${instance}-`)}`,
  )
    .filter((entry) => entry.cmdline === 'sleep 1000')
    .map((entry) => entry.pid);
}

async function taskOf(env: DeployEnv, instance: number): Promise<string> {
  const task = (await env.liveTasks('web')).find((candidate) => candidate.instance === instance);
  assert.ok(task, `instance ${instance} runs`);
  return task.taskId;
}

/** `reconcile`, then until each instance's task has started its process (it returns at STARTING). */
async function reconcile(env: DeployEnv): Promise<void> {
  const run = await withTimeout(env.cli('reconcile'), 60_000, '`reconcile` to converge');
  assert.equal(run.code, 0, run.stderr);
  for (const instance of [0, 1]) {
    const taskId = await taskOf(env, instance);
    await eventually(
      () => processesMentioning(`BOREALIS_TASK_ID=${taskId}`).some((entry) => entry.cmdline === 'sleep 1000'),
      5000,
      `the sleep of ${taskId}`,
    );
  }
}

describe('local cluster: damaged sandboxes', () => {
  let env: DeployEnv;

  before(async () => {
    env = new DeployEnv();
    env.commitJobs('two sleepers', [sleeperJob('web', { instances: 2 })]);
    await reconcile(env);
  });
  afterEach(async () => {
    // Each case starts from a converged cluster, whatever the previous one left.
    await reconcile(env);
  });
  after(async () => {
    await env.cleanup();
    killProcessesMentioning(env.state);
  });

  it('does not duplicate an instance whose sandbox was removed under its running task', async () => {
    const taskId = await taskOf(env, 0);
    assert.equal(instanceSleeps(env, 0).length, 1);
    rmSync(join(env.state, 'sandboxes', taskId), { recursive: true, force: true });
    const [orphan] = instanceSleeps(env, 0);

    // plan changes nothing: it shows the launch the next reconcile makes, and stops no process.
    const planned = await env.cli('plan');
    assert.equal(planned.code, 0, planned.stderr);
    assert.match(planned.stdout, /web/);
    assert.deepEqual(instanceSleeps(env, 0), [orphan], 'plan left the orphan running');

    await reconcile(env);

    assert.equal(instanceSleeps(env, 0).length, 1, 'exactly one live process for instance 0');
    assert.ok(!instanceSleeps(env, 0).includes(orphan!), 'reconcile stopped the orphan before launching');
    assert.notEqual(await taskOf(env, 0), taskId, 'the instance runs a task the cluster can see');
    assert.equal(instanceSleeps(env, 1).length, 1, 'the other instance is untouched');
  });

  it('does not duplicate an instance whose task.json was garbled under its running task', async () => {
    const taskId = await taskOf(env, 1);
    writeFileSync(join(env.state, 'sandboxes', taskId, 'task.json'), '{"taskId": "garbled');

    await reconcile(env);

    assert.equal(instanceSleeps(env, 1).length, 1, 'exactly one live process for instance 1');
    assert.equal(instanceSleeps(env, 0).length, 1, 'the other instance is untouched');
  });

  it('`local down` after the state directory was wiped leaves no process of the cluster alive', async () => {
    assert.equal((await env.liveTasks('web')).length, 2);
    rmSync(env.state, { recursive: true, force: true });

    const down = await withTimeout(env.cli('local', 'down'), 60_000, '`local down` to return');

    assert.equal(down.code, 0, down.stderr);
    assert.deepEqual(processesMentioning(env.state), [], 'no supervisor or task process survives');
    assert.equal(down.stdout, 'Stopped 2 tasks whose sandboxes were missing or damaged.\n');
  });
});
