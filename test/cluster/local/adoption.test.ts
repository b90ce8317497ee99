/** Tasks outlive the LocalCluster that launched them; dead supervisors are reported LOST. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { LocalCluster } from '../../../src/cluster/local/cluster.js';
import { processStartTime } from '../../../src/util/proc.js';
import { startingStatus, type TaskRecord } from '../../../src/cluster/local/records.js';
import { buildLaunch, processConfig } from '../../support/launch-builder.js';
import { localClusterFixture, type LocalClusterFixture } from '../../support/local-cluster-fixture.js';
import { isProcessRunning, processesMentioning } from '../../support/process-table.js';
import { eventually } from '../../support/waiting.js';

async function supervisorPid(fx: LocalClusterFixture, taskId: string): Promise<number> {
  const text = await readFile(join(fx.cluster.sandboxPath(taskId), 'supervisor.pid'), 'utf8');
  return (JSON.parse(text) as { pid: number }).pid;
}

/** A sandbox as a launcher would leave it, without starting any supervisor. */
async function fabricateSandbox(root: string, launchedAt: number, pid?: { pid: number; startTime: string }) {
  const launch = buildLaunch();
  const dir = join(root, launch.taskId);
  await mkdir(dir, { recursive: true });
  const record: TaskRecord = { ...launch, ports: {}, hostname: 'test-host', launchedAt };
  await writeFile(join(dir, 'task.json'), JSON.stringify(record));
  await writeFile(
    join(dir, 'status.json'),
    JSON.stringify({ ...startingStatus(record, launchedAt), state: 'RUNNING' }),
  );
  if (pid !== undefined) await writeFile(join(dir, 'supervisor.pid'), JSON.stringify(pid));
  return launch.taskId;
}

describe('local cluster: adoption and lost supervisors', () => {
  let fx: LocalClusterFixture;
  beforeEach(async () => {
    fx = await localClusterFixture();
  });
  afterEach(async () => {
    await fx.cleanup();
  });

  it('lets a new LocalCluster adopt a running task and see one that finished while none was open', async () => {
    const long = buildLaunch({ name: 'long', processes: [processConfig('main', 'exec sleep 1000')] });
    const short = buildLaunch({
      name: 'short',
      processes: [processConfig('main', 'while [ ! -e go ]; do sleep 0.02; done')],
    });
    await fx.cluster.launch([long, short]);
    await fx.events.waitFor(long.taskId, 'RUNNING');
    await fx.events.waitFor(short.taskId, 'RUNNING');
    const shortSupervisor = await supervisorPid(fx, short.taskId);
    await fx.cluster.close();

    await writeFile(join(fx.root, short.taskId, 'go'), '');
    await eventually(() => !isProcessRunning(shortSupervisor), 5000, 'the short task to end unobserved');

    const { cluster, events } = fx.reopen();
    const states = Object.fromEntries((await cluster.snapshot()).map((task) => [task.taskId, task.state]));
    assert.deepEqual(states, { [long.taskId]: 'RUNNING', [short.taskId]: 'FINISHED' });

    await cluster.kill([long.taskId]);
    await events.waitFor(long.taskId, 'KILLED');
  });

  it('keeps a task running after the process that launched it has exited', async () => {
    const launch = buildLaunch({ processes: [processConfig('main', 'exec sleep 1000')] });
    const clusterModule = new URL('../../../src/cluster/local/cluster.js', import.meta.url).href;
    const script = [
      `const { LocalCluster } = await import(${JSON.stringify(clusterModule)});`,
      `await new LocalCluster({ root: process.argv[1] }).launch([JSON.parse(process.argv[2])]);`,
    ].join('\n');
    const launcher = spawn(
      process.execPath,
      ['--input-type=module', '-e', script, fx.root, JSON.stringify(launch)],
      {
        stdio: 'inherit',
      },
    );
    const [code] = (await once(launcher, 'exit')) as [number | null];
    assert.equal(code, 0);

    await fx.events.waitFor(launch.taskId, 'RUNNING');
    await fx.cluster.kill([launch.taskId]);
    await fx.events.waitFor(launch.taskId, 'KILLED');
  });

  it('reports LOST, and clears away the orphans, when a supervisor is SIGKILLed', async () => {
    const launch = buildLaunch({ processes: [processConfig('main', 'sleep 1000 & exec sleep 1000')] });
    await fx.start(launch);
    const supervisor = await supervisorPid(fx, launch.taskId);
    await eventually(
      () => processesMentioning(fx.cluster.sandboxPath(launch.taskId)).length >= 3,
      3000,
      'the supervisor and both sleeps',
    );

    process.kill(supervisor, 'SIGKILL');
    const lost = await fx.events.waitFor(launch.taskId, 'LOST', 5000);

    assert.equal(lost.task.reason, 'REASON_EXECUTOR_TERMINATED');
    assert.equal(lost.previous, 'RUNNING');
    await eventually(
      () => processesMentioning(fx.cluster.sandboxPath(launch.taskId)).length === 0,
      2000,
      'the orphaned sleeps to be killed',
    );
    const again = new LocalCluster({ root: fx.root });
    assert.deepEqual(
      (await again.snapshot()).map((task) => [task.state, task.updatedAt]),
      [['LOST', lost.task.updatedAt]],
      'the verdict is persisted, not recomputed per reader',
    );
  });

  it('reports LOST when the recorded pid now belongs to another process', async () => {
    const now = Date.now();
    const recycled = { pid: process.pid, startTime: `${processStartTime(process.pid) ?? '0'}1` };
    const alive = { pid: process.pid, startTime: processStartTime(process.pid) ?? '' };
    const recycledId = await fabricateSandbox(fx.root, now, recycled);
    const aliveId = await fabricateSandbox(fx.root, now, alive);
    try {
      const states = Object.fromEntries(
        (await fx.cluster.snapshot()).map((task) => [task.taskId, task.state]),
      );
      assert.deepEqual(states, { [recycledId]: 'LOST', [aliveId]: 'RUNNING' });
    } finally {
      // Its "supervisor" is this very process: cleanup must not try to kill it.
      await rm(join(fx.root, aliveId), { recursive: true, force: true });
    }
  });

  it('gives a launch without a pid file a grace period before calling it LOST', async () => {
    const launchedAt = Date.now();
    const taskId = await fabricateSandbox(fx.root, launchedAt);

    const soon = new LocalCluster({ root: fx.root, now: () => launchedAt + 1000 });
    assert.equal((await soon.snapshot())[0]?.state, 'RUNNING');
    const late = new LocalCluster({ root: fx.root, now: () => launchedAt + 60_000 });
    const [lost] = await late.snapshot();
    assert.deepEqual([lost?.taskId, lost?.state], [taskId, 'LOST']);
  });
});
