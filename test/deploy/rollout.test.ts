import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  isTerminal,
  REASON_TASK_INVALID,
  type ObservedTask,
  type TaskState,
} from '../../src/cluster/types.js';
import { MemoryCluster } from '../../src/cluster/memory/memory-cluster.js';
import { MemoryTasks } from '../../src/cluster/memory/memory-tasks.js';
import { newRollout } from '../../src/deploy/new-rollout.js';
import {
  LOST_RELAUNCHES,
  stepRollout,
  type RolloutAction,
  type RolloutState,
} from '../../src/deploy/rollout.js';
import type { JobSpec } from '../../src/jobspec/types.js';
import { changeBetween, recorded, running, spec } from '../support/specs.js';

/**
 * Drives the pure state machine through scenarios on the in-memory cluster, whose tasks the
 * test settles step by step (kills too: a killed task stays KILLING until settled).
 */
class Simulation {
  now = 1_000_000;
  maxActive = 0;
  log: string[] = [];
  readonly tasks = new MemoryTasks({
    now: () => this.now,
    script: () => ({ state: 'STARTING' }),
    killsEnd: false,
  });
  readonly cluster = new MemoryCluster(this.tasks);
  private ids = 0;

  constructor(
    readonly job: JobSpec,
    public state: RolloutState,
    initial: ObservedTask[],
  ) {
    this.tasks.seed(initial.map((task) => ({ ...task, updatedAt: this.now })));
    this.cluster.subscribe(({ task, previous }) => {
      if (previous === undefined && task.state === 'STARTING') this.log.push(`launch:${task.instance}`);
    });
  }

  async step(): Promise<void> {
    const result = stepRollout(this.state, [...(await this.cluster.snapshot())], {
      now: this.now,
      newTaskId: (i) => `new-${i}-${++this.ids}`,
    });
    this.state = result.state;
    for (const event of result.events) this.log.push(`${event.event}:${event.instance}`);
    for (const action of result.actions) await this.apply(action);
    this.maxActive = Math.max(this.maxActive, this.active().length);
  }

  /** Every launched task becomes RUNNING (or `state`, with `reason`), every killing task ends. */
  settle(state: TaskState = 'RUNNING', instances?: number[], reason?: string): void {
    for (const task of this.tasks.snapshot()) {
      if (task.state === 'KILLING') this.tasks.settle(task.taskId, 'KILLED');
      else if (task.state === 'STARTING' && (!instances || instances.includes(task.instance)))
        this.tasks.settle(task.taskId, state, { reason });
    }
  }

  advance(ms: number): void {
    this.now += ms;
  }

  all(): readonly ObservedTask[] {
    return this.tasks.snapshot();
  }

  active(): ObservedTask[] {
    return this.all()
      .filter((task) => !isTerminal(task.state))
      .sort((a, b) => a.instance - b.instance);
  }

  private async apply(action: RolloutAction): Promise<void> {
    if (action.kind === 'kill') {
      this.log.push(`kill:${this.tasks.get(action.taskId)?.instance}`);
      await this.cluster.kill([action.taskId]);
      return;
    }
    await this.cluster.launch([
      {
        taskId: action.taskId,
        jobId: this.job.id,
        key: this.job.key,
        instance: action.instance,
        configHash: action.version.configHash,
        commit: 'c1',
        config: action.version.config,
      },
    ]);
  }
}

const v1 = spec({
  name: 'web',
  instances: 4,
  service: true,
  update_config: { batch_size: 2, watch_secs: 10 },
});
const v2 = spec({
  name: 'web',
  instances: 4,
  service: true,
  update_config: { batch_size: 2, watch_secs: 10 },
  task: {
    processes: [{ name: 'main', cmdline: 'sleep 2000' }],
    resources: { cpu: 0.1, ram: '16MiB', disk: '16MiB' },
  },
});

/** Tasks launched for `instance` with `job`'s configuration (a rollback launches the old one). */
function launchesOf(sim: Simulation, instance: number, job: JobSpec): number {
  return sim.all().filter((t) => t.instance === instance && t.configHash === job.configHash).length;
}

function simulate(from: JobSpec, to: JobSpec): Simulation {
  const observed = running(from);
  const change = changeBetween(from, to, observed);
  return new Simulation(to, newRollout(change, to, recorded(from), 'c1', 0), observed);
}

describe('stepRollout', () => {
  it('replaces 0-1 then 2-3, moving on only after watch_secs, never above 4 + 2 tasks', async () => {
    const sim = simulate(v1, v2);
    await sim.step();
    assert.deepEqual(sim.log, ['INSTANCE_UPDATING:0', 'INSTANCE_UPDATING:1', 'kill:0', 'kill:1']);
    sim.settle();
    await sim.step();
    assert.deepEqual(sim.log.slice(4), ['launch:0', 'launch:1']);
    sim.settle('RUNNING');
    sim.advance(9_999);
    await sim.step();
    assert.equal(sim.log.length, 6, 'nothing moves before watch_secs');
    sim.advance(1);
    await sim.step();
    assert.deepEqual(sim.log.slice(6), [
      'INSTANCE_UPDATED:0',
      'INSTANCE_UPDATED:1',
      'INSTANCE_UPDATING:2',
      'INSTANCE_UPDATING:3',
      'kill:2',
      'kill:3',
    ]);
    sim.settle();
    await sim.step();
    sim.settle();
    sim.advance(10_000);
    await sim.step();
    assert.equal(sim.state.status, 'ROLLED_FORWARD');
    assert.deepEqual(
      sim.active().map((t) => [t.instance, t.configHash]),
      [0, 1, 2, 3].map((i) => [i, v2.configHash]),
    );
    assert.ok(sim.maxActive <= 6, `at most 4 + 2 tasks, saw ${sim.maxActive}`);
  });

  it('rolls back in reverse order when a new task fails', async () => {
    const sim = simulate(v1, v2);
    await sim.step();
    sim.settle();
    await sim.step();
    sim.settle('RUNNING', [0]);
    sim.settle('FAILED', [1]);
    await sim.step();
    assert.equal(sim.state.status, 'ROLLING_BACK');
    assert.ok(sim.log.includes('INSTANCE_UPDATE_FAILED:1'));
    assert.deepEqual(
      sim.state.instances.map((p) => p.instance),
      [1, 0],
      'reverse order',
    );
    for (let i = 0; i < 6 && sim.state.status === 'ROLLING_BACK'; i++) {
      sim.settle();
      sim.advance(10_000);
      await sim.step();
    }
    assert.equal(sim.state.status, 'ROLLED_BACK');
    assert.deepEqual(
      sim.active().map((t) => [t.instance, t.configHash]),
      [0, 1, 2, 3].map((i) => [i, v1.configHash]),
    );
    assert.ok(sim.log.includes('INSTANCE_ROLLED_BACK:0') && sim.log.includes('INSTANCE_ROLLED_BACK:1'));
  });

  it('never adopts a task it is still killing when a rollback reaches that instance', async () => {
    const sim = simulate(v1, v2);
    const taskOf = (instance: number, state: TaskState) =>
      sim.all().find((task) => task.instance === instance && task.state === state)!;
    await sim.step();
    sim.tasks.settle(taskOf(1, 'KILLING').taskId, 'KILLED');
    await sim.step();
    // Instance 1's new task fails while instance 0's old task is still being killed.
    sim.tasks.settle(taskOf(1, 'STARTING').taskId, 'FAILED');
    await sim.step();
    assert.equal(sim.state.status, 'ROLLING_BACK');
    for (let i = 0; i < 8 && sim.state.status === 'ROLLING_BACK'; i++) {
      await sim.step();
      sim.settle();
      sim.advance(10_000);
    }
    assert.equal(sim.state.status, 'ROLLED_BACK', sim.log.join(' '));
    assert.deepEqual(
      sim.active().map((t) => [t.instance, t.configHash]),
      [0, 1, 2, 3].map((i) => [i, v1.configHash]),
    );
  });

  it('fails without rolling back when rollback_on_failure is false', async () => {
    const noRollback = {
      ...v2,
      config: { ...v2.config, update_config: { ...v2.config.update_config, rollback_on_failure: false } },
    };
    const sim = simulate(v1, noRollback);
    sim.state.settings.rollback_on_failure = false;
    await sim.step();
    sim.settle();
    await sim.step();
    sim.settle('FAILED');
    await sim.step();
    assert.equal(sim.state.status, 'FAILED');
  });

  it('tolerates max_per_shard_failures by relaunching the instance', async () => {
    const sim = simulate(v1, v2);
    sim.state.settings.max_per_shard_failures = 1;
    await sim.step();
    sim.settle();
    await sim.step();
    sim.settle('FAILED', [0]);
    await sim.step();
    assert.equal(sim.state.status, 'ROLLING_FORWARD');
    assert.equal(sim.state.instances.find((p) => p.instance === 0)?.failures, 1);
    assert.equal(sim.log.filter((entry) => entry === 'launch:0').length, 2);
  });

  it('fails an instance whose task the cluster refused as invalid at once, whatever max_per_shard_failures allows', async () => {
    const sim = simulate(v1, v2);
    sim.state.settings.max_per_shard_failures = 5;
    await sim.step();
    sim.settle();
    await sim.step();
    sim.settle('FAILED', [0], REASON_TASK_INVALID);
    await sim.step();
    assert.equal(sim.state.status, 'ROLLING_BACK');
    assert.equal(launchesOf(sim, 0, v2), 1, 'no relaunch of a refused task');
    assert.ok(sim.log.includes('INSTANCE_UPDATE_FAILED:0'));
  });

  it('relaunches a lost task of the target configuration without counting a failure', async () => {
    const sim = simulate(v1, v2);
    await sim.step();
    sim.settle();
    await sim.step();
    sim.settle('LOST', [0]);
    await sim.step();
    assert.equal(sim.state.status, 'ROLLING_FORWARD');
    const zero = sim.state.instances.find((p) => p.instance === 0)!;
    assert.deepEqual([zero.status, zero.failures, zero.lost], ['starting', 0, 1]);
    assert.ok(sim.log.includes('INSTANCE_RELAUNCHED:0'));
    assert.equal(sim.log.filter((entry) => entry === 'launch:0').length, 2);
  });

  it('relaunches an instance already updated when its task is lost, and watches it again', async () => {
    const sim = simulate(v1, v2);
    await sim.step();
    sim.settle();
    await sim.step();
    sim.settle('RUNNING', [0, 1]);
    sim.advance(10_000);
    await sim.step();
    assert.equal(sim.state.instances.find((p) => p.instance === 0)?.status, 'done');
    const zero = sim
      .all()
      .find((t) => t.instance === 0 && t.state === 'RUNNING' && t.configHash === v2.configHash)!;
    sim.tasks.settle(zero.taskId, 'LOST');
    await sim.step();
    assert.equal(sim.state.instances.find((p) => p.instance === 0)?.status, 'starting');
    assert.equal(sim.log.filter((entry) => entry === 'launch:0').length, 2);
  });

  it(`counts a loss as a failure after ${LOST_RELAUNCHES} relaunches of one instance`, async () => {
    const sim = simulate(v1, v2);
    await sim.step();
    sim.settle();
    await sim.step();
    for (let loss = 0; loss <= LOST_RELAUNCHES; loss++) {
      sim.settle('LOST', [0]);
      await sim.step();
    }
    assert.equal(sim.state.status, 'ROLLING_BACK');
    assert.equal(launchesOf(sim, 0, v2), LOST_RELAUNCHES + 1);
  });

  it('with wait_for_batch_completion starts the next batch only when the whole batch is done', async () => {
    const sim = simulate(v1, v2);
    sim.state.settings.batch_size = 3;
    sim.state.settings.wait_for_batch_completion = true;
    await sim.step();
    sim.settle();
    await sim.step();
    sim.settle('RUNNING', [0, 1]);
    sim.advance(10_000);
    await sim.step();
    assert.ok(!sim.log.some((entry) => entry === 'INSTANCE_UPDATING:3'), 'instance 3 waits for 2');
    sim.settle('RUNNING');
    sim.advance(10_000);
    await sim.step();
    assert.ok(sim.log.includes('INSTANCE_UPDATING:3'));
  });

  it('relaunches a saved task id that never reached the cluster (resume after a crash)', async () => {
    const sim = simulate(v1, v2);
    await sim.step();
    sim.settle();
    const saved = stepRollout(sim.state, [...sim.all()], {
      now: sim.now,
      newTaskId: (i) => `saved-${i}`,
    }).state;
    // The reconciler saved `saved` and died before launching: the cluster never saw the tasks.
    const resumed = stepRollout(saved, [...sim.all()], { now: sim.now, newTaskId: () => 'must-not-be-used' });
    const launches = resumed.actions.filter((a) => a.kind === 'launch').map((a) => a.taskId);
    assert.deepEqual(launches, ['saved-0', 'saved-1']);
  });

  it('counts a finished task as success for batch jobs', async () => {
    const b1 = spec({ name: 'b', instances: 1, update_config: { watch_secs: 5 } });
    const b2 = spec({ name: 'b', instances: 1, env: { X: 'y' }, update_config: { watch_secs: 5 } });
    const sim = simulate(b1, b2);
    await sim.step();
    sim.settle();
    await sim.step();
    sim.settle('FINISHED');
    await sim.step();
    assert.equal(sim.state.status, 'ROLLED_FORWARD');
  });
});
