/** Killing tasks: the kill sequence, escalation to SIGKILL, and that nothing of the task survives. */
import assert from 'node:assert/strict';
import { access, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { buildLaunch, processConfig } from '../../support/launch-builder.js';
import { localClusterFixture, type LocalClusterFixture } from '../../support/local-cluster-fixture.js';
import { isProcessRunning, processesMentioning } from '../../support/process-table.js';
import { eventually } from '../../support/waiting.js';

async function supervisorPid(fx: LocalClusterFixture, taskId: string): Promise<number> {
  const text = await readFile(join(fx.cluster.sandboxPath(taskId), 'supervisor.pid'), 'utf8');
  return (JSON.parse(text) as { pid: number }).pid;
}

/** Processes of the task other than its supervisor (whose command line names the sandbox). */
function taskProcesses(fx: LocalClusterFixture, taskId: string, supervisor: number): number[] {
  return processesMentioning(fx.cluster.sandboxPath(taskId))
    .map((entry) => entry.pid)
    .filter((pid) => pid !== supervisor);
}

async function assertNothingSurvives(
  fx: LocalClusterFixture,
  taskId: string,
  supervisor: number,
): Promise<void> {
  await eventually(() => !isProcessRunning(supervisor), 3000, 'the supervisor to exit');
  assert.deepEqual(processesMentioning(fx.cluster.sandboxPath(taskId)), []);
}

describe('local cluster: kill', () => {
  let fx: LocalClusterFixture;
  beforeEach(async () => {
    fx = await localClusterFixture();
  });
  afterEach(async () => {
    await fx.cleanup();
  });

  it('kills the whole process tree, even a process that left the group, and runs final processes', async () => {
    // A grandchild that exits gracefully on SIGTERM proves the signal went to the whole group.
    const graceful = '(trap "echo term > term.txt; exit 0" TERM; echo ready > ready.txt; sleep 1000 & wait)';
    const launch = buildLaunch({
      processes: [
        processConfig('tree', `sleep 1000 & setsid sleep 1000 & ${graceful} & wait`),
        processConfig('goodbye', 'echo bye > final.txt', { final: true }),
      ],
      // Far longer than a kill takes on any machine, so "no wait for it" can be told apart.
      task: { finalization_wait: 60 },
    });
    await fx.start(launch);
    const supervisor = await supervisorPid(fx, launch.taskId);
    const sandbox = fx.cluster.sandboxPath(launch.taskId);
    // setsid(1) forks before it leaves the group, so the third group is waited for, not assumed.
    const groups = () => new Set(processesMentioning(launch.taskId).map((entry) => entry.pgid));
    await eventually(
      async () =>
        taskProcesses(fx, launch.taskId, supervisor).length >= 5 &&
        groups().size >= 3 &&
        (await access(join(sandbox, 'ready.txt')).then(
          () => true,
          () => false,
        )),
      3000,
      'the tree (bash, two sleeps, the subshell and its sleep), one sleep in a group of its own',
    );

    const started = Date.now();
    await fx.cluster.kill([launch.taskId]);
    assert.ok(
      fx.events.states(launch.taskId).includes('KILLING'),
      'KILLING is reported by the time kill() returns',
    );
    await fx.events.waitFor(launch.taskId, 'KILLED');

    assert.ok(Date.now() - started < 30_000, 'SIGTERM sufficed; no wait for the finalization deadline');
    assert.deepEqual(fx.events.states(launch.taskId).slice(-2), ['KILLING', 'KILLED']);
    assert.equal(await readFile(join(sandbox, 'term.txt'), 'utf8'), 'term\n');
    assert.equal(await readFile(join(sandbox, 'final.txt'), 'utf8'), 'bye\n');
    await assertNothingSurvives(fx, launch.taskId, supervisor);
  });

  it('SIGKILLs a process that ignores SIGTERM once finalization_wait has passed', async () => {
    const launch = buildLaunch({
      processes: [processConfig('stubborn', 'trap "" TERM; sleep 1000 & sleep 1000')],
      task: { finalization_wait: 1 },
    });
    await fx.start(launch);
    const supervisor = await supervisorPid(fx, launch.taskId);
    await eventually(() => taskProcesses(fx, launch.taskId, supervisor).length >= 2, 3000, 'both sleeps');

    const started = Date.now();
    await fx.cluster.kill([launch.taskId]);
    await fx.events.waitFor(launch.taskId, 'KILLED');
    const elapsed = Date.now() - started;

    assert.ok(elapsed >= 950, `waited the finalization wait before SIGKILL (took ${elapsed} ms)`);
    // Not Aurora's default of 30 s, nor anything else long: the task's own 1 s.
    assert.ok(elapsed < 15_000, `but not much longer (took ${elapsed} ms)`);
    await assertNothingSurvives(fx, launch.taskId, supervisor);
  });

  it('honours a kill issued right after launch, before the supervisor is ready', async () => {
    const launch = buildLaunch({
      processes: [processConfig('main', 'echo started > started; exec sleep 1000')],
    });
    await fx.cluster.launch([launch]);
    await fx.cluster.kill([launch.taskId]);

    const killed = await fx.events.waitFor(launch.taskId, 'KILLED');
    assert.equal(killed.task.reason, undefined);
    assert.ok(!fx.events.states(launch.taskId).includes('LOST'));
    await assertNothingSurvives(fx, launch.taskId, await supervisorPid(fx, launch.taskId));
  });

  it('treats killing an unknown or finished task as a no-op', async () => {
    const launch = buildLaunch({ processes: [processConfig('main', 'true')] });
    await fx.start(launch, 'FINISHED');

    await fx.cluster.kill([launch.taskId, 'test-devel-nothing-0-unknown', '../escape']);

    const [seen] = await fx.cluster.snapshot();
    assert.equal(seen?.state, 'FINISHED');
    await assert.rejects(access(join(fx.cluster.sandboxPath(launch.taskId), 'kill.request')));
  });

  it('forgets terminal tasks only', async () => {
    const launch = buildLaunch({ processes: [processConfig('main', 'exec sleep 1000')] });
    await fx.start(launch);

    await fx.cluster.forget([launch.taskId]);
    assert.deepEqual(
      (await fx.cluster.snapshot()).map((task) => task.state),
      ['RUNNING'],
      'a running task is not forgotten',
    );

    await fx.cluster.kill([launch.taskId]);
    await fx.events.waitFor(launch.taskId, 'KILLED');
    await fx.cluster.forget([launch.taskId]);
    assert.deepEqual(await fx.cluster.snapshot(), []);
    await assert.rejects(access(fx.cluster.sandboxPath(launch.taskId)));
  });
});
