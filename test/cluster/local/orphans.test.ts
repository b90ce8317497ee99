/**
 * Processes of a task whose supervisor or sandbox is gone: stopping a supervisor stops its
 * processes, and what a SIGKILLed supervisor leaves behind is stopped by the next observation.
 * Processes are counted by the task id in their environment, read from the real process table.
 */
import assert from 'node:assert/strict';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { LocalCluster } from '../../../src/cluster/local/cluster.js';
import type { TaskLaunch } from '../../../src/cluster/types.js';
import { buildLaunch, processConfig } from '../../support/launch-builder.js';
import { localClusterFixture, type LocalClusterFixture } from '../../support/local-cluster-fixture.js';
import {
  isProcessRunning,
  killProcessesMentioning,
  processesMentioning,
} from '../../support/process-table.js';
import { eventually } from '../../support/waiting.js';

/** Three processes in two sessions: the `setsid` one is out of reach of any process group signal. */
const TREE = 'sleep 1000 & setsid sleep 1000 & exec sleep 1000';

function treeLaunch(): TaskLaunch {
  return buildLaunch({ processes: [processConfig('main', TREE)] });
}

/** Live processes of the task other than the supervisor (whose own marker is not what is tested). */
function sleepsOf(taskId: string): number[] {
  return processesMentioning(`BOREALIS_TASK_ID=${taskId}`)
    .filter((entry) => entry.cmdline === 'sleep 1000')
    .map((entry) => entry.pid);
}

async function supervisorPid(fx: LocalClusterFixture, taskId: string): Promise<number> {
  const text = await readFile(join(fx.cluster.sandboxPath(taskId), 'supervisor.pid'), 'utf8');
  return (JSON.parse(text) as { pid: number }).pid;
}

/** Runs the task with no one observing the cluster in the background. */
async function startUnobserved(fx: LocalClusterFixture, launch: TaskLaunch): Promise<number> {
  await fx.start(launch);
  fx.events.stop();
  await eventually(() => sleepsOf(launch.taskId).length === 3, 3000, 'the three sleeps of the task');
  return supervisorPid(fx, launch.taskId);
}

async function supervisorExited(pid: number): Promise<void> {
  await eventually(() => !isProcessRunning(pid), 10_000, `supervisor ${pid} to exit`);
}

describe('local cluster: orphaned processes', () => {
  let fx: LocalClusterFixture;
  beforeEach(async () => {
    fx = await localClusterFixture();
  });
  afterEach(async () => {
    killProcessesMentioning(fx.root);
    await fx.cleanup();
  });

  it('SIGTERM to a supervisor stops all its processes', async () => {
    const launch = treeLaunch();
    const supervisor = await startUnobserved(fx, launch);

    process.kill(supervisor, 'SIGTERM');

    await supervisorExited(supervisor);
    assert.deepEqual(sleepsOf(launch.taskId), []);
  });

  it('SIGTERM to a supervisor whose sandbox was removed stops all its processes', async () => {
    const launch = treeLaunch();
    const supervisor = await startUnobserved(fx, launch);
    await rm(fx.cluster.sandboxPath(launch.taskId), { recursive: true, force: true });

    process.kill(supervisor, 'SIGTERM');

    await supervisorExited(supervisor);
    assert.deepEqual(sleepsOf(launch.taskId), []);
  });

  it('SIGKILL to a supervisor whose sandbox was removed: the next observation stops the orphans', async () => {
    const launch = treeLaunch();
    const supervisor = await startUnobserved(fx, launch);
    await rm(fx.cluster.sandboxPath(launch.taskId), { recursive: true, force: true });
    process.kill(supervisor, 'SIGKILL');
    await supervisorExited(supervisor);
    assert.equal(sleepsOf(launch.taskId).length, 3, 'the orphans outlive their supervisor');

    const observed = await new LocalCluster({ root: fx.root }).snapshot();

    assert.deepEqual(observed, [], 'nothing describes the orphans');
    assert.deepEqual(sleepsOf(launch.taskId), [], 'stopped before the observation returned');
  });

  it('a garbled task.json: the next observation stops the task before it reports the instance empty', async () => {
    const launch = treeLaunch();
    const supervisor = await startUnobserved(fx, launch);
    await writeFile(join(fx.cluster.sandboxPath(launch.taskId), 'task.json'), '{"taskId": "');

    const observed = await new LocalCluster({ root: fx.root }).snapshot();

    assert.deepEqual(observed, []);
    assert.deepEqual(sleepsOf(launch.taskId), []);
    await supervisorExited(supervisor);
  });

  it("never touches another local cluster's processes", async () => {
    const launch = treeLaunch();
    await startUnobserved(fx, launch);
    const other = await localClusterFixture();
    try {
      assert.deepEqual(await other.cluster.snapshot(), []);
      assert.equal(sleepsOf(launch.taskId).length, 3);
    } finally {
      await other.cleanup();
    }
  });
});
