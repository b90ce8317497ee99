/**
 * The knobs of the in-memory cluster that tests drive it by: a launch script, kills that
 * wait to be settled, health, a lost agent. The port's own rules are the contract's
 * (contract.test.ts).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryCluster } from '../../../src/cluster/memory/memory-cluster.js';
import { MemoryTasks, REASON_AGENT_REMOVED } from '../../../src/cluster/memory/memory-tasks.js';
import type { TaskStatusUpdate } from '../../../src/cluster/types.js';
import { buildLaunch } from '../../support/launch-builder.js';

function recorded(tasks: MemoryTasks): string[] {
  const seen: string[] = [];
  tasks.onUpdate(({ task, previous }: TaskStatusUpdate) =>
    seen.push(`${task.instance}:${previous ?? '-'}>${task.state}${task.reason ? ` ${task.reason}` : ''}`),
  );
  return seen;
}

describe('MemoryTasks', () => {
  it('runs each launch as its script says, at the clock it is given, with the ports it asks for', async () => {
    let now = 5;
    const tasks = new MemoryTasks({
      now: () => now,
      script: (launch) =>
        launch.instance === 0
          ? { state: 'RUNNING', healthy: true }
          : { state: 'FAILED', reason: 'REASON_COMMAND_EXECUTOR_FAILED', message: 'exit 1' },
    });
    const seen = recorded(tasks);
    const [zero, one] = [
      buildLaunch({ instance: 0, resources: { ports: ['http', 'admin'] } }),
      buildLaunch({ instance: 1 }),
    ];
    now = 7;
    await new MemoryCluster(tasks).launch([zero, one]);
    assert.deepEqual(seen, ['0:->STARTING', '1:->STARTING'], 'what a task does follows the call');
    await tasks.idle();
    assert.deepEqual(seen, [
      '0:->STARTING',
      '1:->STARTING',
      '0:STARTING>RUNNING',
      '1:STARTING>FAILED REASON_COMMAND_EXECUTOR_FAILED',
    ]);
    const [a, b] = [tasks.get(zero.taskId)!, tasks.get(one.taskId)!];
    assert.deepEqual(
      [a.healthy, a.launchedAt, a.updatedAt, Object.keys(a.ports)],
      [true, 7, 7, ['http', 'admin']],
    );
    assert.deepEqual([b.state, b.message, b.healthy], ['FAILED', 'exit 1', undefined]);
  });

  it('keeps a killed task KILLING until settled when kills do not end by themselves, and kills it once', async () => {
    const tasks = new MemoryTasks({ killsEnd: false });
    const cluster = new MemoryCluster(tasks);
    const launch = buildLaunch();
    await cluster.launch([launch]);
    await tasks.idle();
    const seen = recorded(tasks);
    await cluster.kill([launch.taskId]);
    await cluster.kill([launch.taskId]);
    await tasks.idle();
    assert.deepEqual(seen, ['0:RUNNING>KILLING']);
    tasks.settle(launch.taskId, 'KILLED');
    assert.deepEqual(seen, ['0:RUNNING>KILLING', '0:KILLING>KILLED']);
    assert.equal(tasks.get(launch.taskId)?.killRequested, true);
    assert.throws(() => tasks.settle(launch.taskId, 'RUNNING'), /already ended \(KILLED\)/);
    assert.throws(() => tasks.settle('no-such-task', 'RUNNING'), /no task no-such-task/);
  });

  it('turns a running task healthy and back, and refuses health for a task not running', async () => {
    const tasks = new MemoryTasks({ script: () => ({ state: 'STARTING' }) });
    const launch = buildLaunch();
    await new MemoryCluster(tasks).launch([launch]);
    assert.throws(() => tasks.setHealthy(launch.taskId, true), /STARTING, not RUNNING/);
    tasks.settle(launch.taskId, 'RUNNING');
    const seen = recorded(tasks);
    tasks.setHealthy(launch.taskId, false);
    tasks.setHealthy(launch.taskId, true);
    assert.equal(seen.length, 2);
    assert.equal(tasks.get(launch.taskId)?.healthy, true);
    tasks.setHealthy(launch.taskId, undefined);
    assert.equal('healthy' in tasks.get(launch.taskId)!, false);
  });

  it('loses every active task of a lost agent, and only those, placing tasks on the agents in turn', async () => {
    const tasks = new MemoryTasks({ hosts: ['a', 'b'] });
    const launches = [0, 1, 2, 3].map((instance) => buildLaunch({ instance }));
    await new MemoryCluster(tasks).launch(launches);
    await tasks.idle();
    const hosts = launches.map((launch) => tasks.get(launch.taskId)!.host);
    assert.deepEqual(hosts, ['a', 'b', 'a', 'b']);
    tasks.settle(launches[2]!.taskId, 'FINISHED');
    tasks.loseAgent('a');
    assert.deepEqual(
      launches.map((launch) => [tasks.get(launch.taskId)!.state, tasks.get(launch.taskId)!.reason]),
      [
        ['LOST', REASON_AGENT_REMOVED],
        ['RUNNING', undefined],
        ['FINISHED', undefined],
        ['RUNNING', undefined],
      ],
    );
  });

  it('lets a kill overtake a start: a task killed before it ran never runs', async () => {
    const tasks = new MemoryTasks();
    const cluster = new MemoryCluster(tasks);
    const launch = buildLaunch();
    const seen = recorded(tasks);
    await cluster.launch([launch]);
    await cluster.kill([launch.taskId]);
    await tasks.idle();
    assert.deepEqual(seen, ['0:->STARTING', '0:STARTING>KILLING', '0:KILLING>KILLED']);
  });

  it('seeds tasks that ran before anyone looked, each id once', async () => {
    const tasks = new MemoryTasks();
    const launch = buildLaunch();
    await new MemoryCluster(tasks).launch([launch]);
    assert.throws(() => tasks.seed([tasks.get(launch.taskId)!]), /already known/);
  });
});

describe('MemoryCluster', () => {
  it('refuses calls once closed and stops its subscriptions, while another on the same tasks goes on', async () => {
    const tasks = new MemoryTasks();
    const first = new MemoryCluster(tasks);
    const heard: string[] = [];
    first.subscribe((update) => heard.push(update.task.state));
    await first.close();
    await assert.rejects(first.launch([buildLaunch()]), /closed/);
    await assert.rejects(first.snapshot(), /closed/);
    const second = new MemoryCluster(tasks);
    await second.launch([buildLaunch()]);
    await tasks.idle();
    assert.deepEqual(heard, []);
    assert.equal((await second.snapshot()).length, 1);
  });
});
