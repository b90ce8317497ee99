/**
 * The Mesos driver under the faults NOTES.md warns about, on the protocol-faithful test
 * master: reconciliation answers that never come, updates that arrive out of order, a task
 * the master refuses, and a restart that must still honour `limit:N` across attributes.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { MesosCluster } from '../../../src/cluster/mesos/cluster.js';
import {
  isTerminal,
  REASON_TASK_INVALID,
  type ObservedTask,
  type TaskLaunch,
} from '../../../src/cluster/types.js';
import { newTaskId } from '../../../src/deploy/task-ids.js';
import { FileStateStore } from '../../../src/state/file/file-store.js';
import type { JobFields } from '../../support/jobs.js';
import {
  MesosMaster,
  QUICK_TIMINGS,
  ROOMY_AGENT,
  type MesosMasterOptions,
} from '../../support/mesos-master/index.js';
import { spec } from '../../support/specs.js';
import { eventually } from '../../support/waiting.js';

const AGENT = ROOMY_AGENT;

function launchesOf(fields: JobFields, instances: number[]): TaskLaunch[] {
  const job = spec(fields);
  return instances.map((instance) => ({
    taskId: newTaskId(job.key, instance),
    jobId: job.id,
    key: job.key,
    instance,
    configHash: job.configHash,
    commit: 'c1',
    config: job.instance,
  }));
}

const plain = (name: string, more: Partial<JobFields> = {}): JobFields => ({
  name,
  instances: 3,
  service: true,
  task: {
    processes: [{ name: 'main', cmdline: 'serve' }],
    resources: { cpu: 0.5, ram: '128MiB', disk: '64MiB' },
  },
  ...more,
});

/** One test master and the drivers opened on it, all closed after each test. */
class Harness {
  master!: MesosMaster;
  readonly logs: string[] = [];
  private readonly dir = mkdtempSync(join(tmpdir(), 'borealis-mesos-faults-'));
  private store!: FileStateStore;
  private readonly drivers: MesosCluster[] = [];

  async start(options: MesosMasterOptions): Promise<this> {
    this.master = await MesosMaster.start({ ...QUICK_TIMINGS, ...options });
    this.store = await FileStateStore.open(this.dir);
    return this;
  }

  async driver(reconcileRetryMs = 5_000): Promise<MesosCluster> {
    const driver = new MesosCluster({
      masters: [this.master.url],
      framework: { user: 'root', roles: ['prod'] },
      store: this.store,
      log: (line) => this.logs.push(line),
      reconcileRetryMs,
    });
    await driver.start();
    this.drivers.push(driver);
    return driver;
  }

  async close(): Promise<void> {
    for (const driver of this.drivers) await driver.close();
    await this.master?.close();
    await this.store?.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

const live = async (c: MesosCluster): Promise<ObservedTask[]> =>
  (await c.snapshot()).filter((t) => !isTerminal(t.state));

const stateOf = async (c: MesosCluster, taskId: string) =>
  (await c.snapshot()).find((t) => t.taskId === taskId)?.state;

describe('MesosCluster under faults', () => {
  let harness: Harness;
  afterEach(async () => {
    assert.deepEqual(harness.master.violations, [], 'every request matched the Mesos message shapes');
    await harness.close();
  });

  it('asks again about tasks the master did not answer, with back-off, until it does', async () => {
    harness = await new Harness().start({ agents: [AGENT, AGENT, AGENT] });
    const first = await harness.driver();
    const launches = launchesOf(plain('web'), [0, 1, 2]);
    await first.launch(launches);
    await eventually(async () => (await live(first)).every((t) => t.state === 'RUNNING'), 10_000, 'RUNNING');
    await first.close();

    harness.master.loseReconcileAnswers(2);
    const explicit = () =>
      harness.master.calls.filter(
        (c) =>
          c.type === 'RECONCILE' &&
          (c.body as { reconcile: { tasks: unknown[] } }).reconcile.tasks.length > 0,
      ).length;
    const before = explicit();
    const restarted = await harness.driver(100);
    await eventually(
      async () => (await live(restarted)).filter((t) => t.state === 'RUNNING').length === 3,
      10_000,
      () => `every task answered RUNNING; the driver logged:\n${harness.logs.join('\n')}`,
    );
    assert.equal(explicit() - before, 3, 'two unanswered rounds, then the one answered');
  });

  it('reports a task the master refused as FAILED with REASON_TASK_INVALID and its message', async () => {
    harness = await new Harness().start({
      agents: [AGENT],
      behaviour: (info) =>
        String(info.name).includes('.bad.')
          ? { kind: 'refused', message: 'Docker image not allowed here' }
          : { kind: 'runs' },
    });
    const driver = await harness.driver();
    const [launch] = launchesOf(plain('bad', { instances: 1 }), [0]);
    await driver.launch([launch!]);
    await eventually(async () => (await stateOf(driver, launch!.taskId)) === 'FAILED', 10_000, 'FAILED');
    const task = (await driver.snapshot()).find((t) => t.taskId === launch!.taskId)!;
    assert.equal(task.reason, REASON_TASK_INVALID);
    assert.equal(task.message, 'Docker image not allowed here');
  });

  it('ignores an update older than the one applied: a task lost with its agent stays LOST', async () => {
    harness = await new Harness().start({ agents: [AGENT] });
    const { master } = harness;
    const driver = await harness.driver();
    const [launch] = launchesOf(plain('web', { instances: 1 }), [0]);
    const heldIn = (state: string) => master.heldUpdates().find((update) => update.state === state);
    const acknowledged = (uuid: string | undefined) =>
      master.calls.some(
        (c) =>
          c.type === 'ACKNOWLEDGE' && (c.body as { acknowledge: { uuid: string } }).acknowledge.uuid === uuid,
      );
    master.holdUpdates();
    await driver.launch([launch!]);
    await eventually(() => heldIn('TASK_STARTING') !== undefined, 10_000, 'TASK_STARTING sent');
    master.releaseUpdates();
    // Once TASK_STARTING is acknowledged the agent sends TASK_RUNNING, which is held back...
    await eventually(() => heldIn('TASK_RUNNING') !== undefined, 10_000, 'TASK_RUNNING sent');
    const stale = heldIn('TASK_RUNNING')!;
    assert.equal(await stateOf(driver, launch!.taskId), 'STARTING');
    // ...while the agent is lost: TASK_UNREACHABLE, emitted later, overtakes it.
    master.loseAgent(master.agentIds()[0]!);
    master.holdUpdates(false);
    master.releaseUpdates({ newestFirst: true });
    // The agent is gone, so nothing follows the stale TASK_RUNNING: once the driver has
    // acknowledged it, it has applied (or ignored) it.
    await eventually(() => acknowledged(stale.uuid), 10_000, 'the stale TASK_RUNNING acknowledged');
    assert.equal(await stateOf(driver, launch!.taskId), 'LOST');
  });

  it('a restarted driver still counts running instances per attribute value for limit:N', async () => {
    const racks = ['r0', 'r1'].flatMap((rack) => [0, 1].map(() => ({ ...AGENT, attributes: { rack } })));
    harness = await new Harness().start({ agents: racks });
    const job = plain('web', { instances: 3, constraints: { rack: 'limit:1' } });
    const [a, b, c] = launchesOf(job, [0, 1, 2]);
    const first = await harness.driver();
    await first.launch([a!, b!]);
    await eventually(
      async () => (await live(first)).filter((t) => t.state === 'RUNNING').length === 2,
      10_000,
      'two RUNNING',
    );
    await first.close();

    const restarted = await harness.driver();
    await eventually(
      async () => (await live(restarted)).filter((t) => t.state === 'RUNNING').length === 2,
      10_000,
      're-adopted',
    );
    await restarted.launch([c!]);
    await eventually(
      () => harness.logs.some((line) => line.includes(`cannot place ${c!.jobId}/2 yet`)),
      10_000,
      'the third instance refused by every offer',
    );
    assert.equal(await stateOf(restarted, c!.taskId), 'PENDING');
    assert.equal(harness.master.tasks().length, 2, 'both racks already hold an instance');
  });
});
