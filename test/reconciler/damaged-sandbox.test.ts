/**
 * A running daemon heals an instance whose sandbox was removed under its task with exactly one
 * replacement, and `local down` then leaves no process of the cluster behind.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startDaemon, type RunningDaemon } from '../support/daemon-env.js';
import { DeployEnv } from '../support/deploy-env.js';
import { sleeperJob } from '../support/jobs.js';
import { isProcessRunning, killProcessesMentioning, processesMentioning } from '../support/process-table.js';
import { withTimeout } from '../support/waiting.js';

/** The live `sleep` of each task of `web` whose id starts so, by the sandbox in its environment. */
function sleepsOf(env: DeployEnv, taskIdPrefix: string): number[] {
  return processesMentioning(`MESOS_SANDBOX=${join(env.state, 'sandboxes', taskIdPrefix)}`)
    .filter((entry) => entry.cmdline === 'sleep 1000')
    .map((entry) => entry.pid);
}

describe('daemon: a sandbox removed under a running task', () => {
  let env: DeployEnv;
  let running: RunningDaemon;
  let daemonStopped = false;

  before(async () => {
    env = new DeployEnv();
    env.commitJobs('one sleeper', [sleeperJob('web')]);
    running = await startDaemon(env);
  });
  after(async () => {
    if (!daemonStopped) await running.stop();
    await env.cleanup();
    killProcessesMentioning(env.state);
  });

  it('is healed with one replacement, and `local down` leaves nothing running', async () => {
    const liveTask = async () => (await env.liveTasks('web'))[0]?.taskId;
    await running.until(async () => {
      const taskId = await liveTask();
      return taskId !== undefined && sleepsOf(env, taskId).length === 1;
    }, 'the first task to run its process');
    const first = await liveTask();
    assert.ok(first);
    const [firstSleep] = sleepsOf(env, first);
    assert.ok(firstSleep !== undefined);

    rmSync(join(env.state, 'sandboxes', first), { recursive: true, force: true });

    // The replacement may reuse the task id (a rollout retrying its launch), never the process.
    await running.until(async () => {
      const taskId = await liveTask();
      return (
        taskId !== undefined &&
        !sleepsOf(env, taskId).includes(firstSleep) &&
        sleepsOf(env, taskId).length === 1
      );
    }, 'a replacement to run its process');
    assert.equal(
      sleepsOf(env, 'www-data-prod-web-0-').length,
      1,
      'exactly one live process for the instance',
    );
    assert.equal(isProcessRunning(firstSleep), false, 'the process whose sandbox was removed is gone');

    await running.stop();
    daemonStopped = true;
    const down = await withTimeout(env.cli('local', 'down'), 60_000, '`local down` to return');
    assert.equal(down.code, 0, down.stderr);
    assert.deepEqual(processesMentioning(env.state), [], 'no supervisor or task process survives');
  });
});
