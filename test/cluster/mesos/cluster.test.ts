/**
 * The Mesos driver against the protocol-faithful test master: real HTTP, RecordIO
 * streams, offers from 50 simulated agents. Every request it sends is checked by the
 * master against the message shapes (unknown or misspelled fields fail the test).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { MesosCluster } from '../../../src/cluster/mesos/cluster.js';
import { isTerminal, type ObservedTask, type TaskLaunch } from '../../../src/cluster/types.js';
import { newTaskId } from '../../../src/deploy/task-ids.js';
import { FileStateStore } from '../../../src/state/file/file-store.js';
import { startQuickMaster, type MesosMaster } from '../../support/mesos-master/index.js';
import { spec } from '../../support/specs.js';
import { eventually } from '../../support/waiting.js';

const web = spec({
  name: 'web',
  instances: 6,
  service: true,
  constraints: { host: 'limit:1' },
  task: {
    processes: [{ name: 'serve', cmdline: 'serve --port {{thermos.ports[http]}}' }],
    resources: { cpu: 0.5, ram: '128MiB', disk: '64MiB', ports: ['http'] },
  },
});

/** No constraint: spread over hosts only by preference. */
const api = spec({
  name: 'api',
  instances: 3,
  service: true,
  task: {
    processes: [{ name: 'serve', cmdline: 'serve --port {{thermos.ports[http]}}' }],
    resources: { cpu: 0.5, ram: '128MiB', disk: '64MiB', ports: ['http'] },
  },
});

const launchesOf = (job: typeof web, instances: number[]): TaskLaunch[] =>
  instances.map((instance) => ({
    taskId: newTaskId(job.key, instance),
    jobId: job.id,
    key: job.key,
    instance,
    configHash: job.configHash,
    commit: 'c1',
    config: job.instance,
  }));
const launches = (count: number): TaskLaunch[] =>
  launchesOf(
    web,
    Array.from({ length: count }, (_, instance) => instance),
  );

describe('MesosCluster on the test master', () => {
  let master: MesosMaster;
  let stateDir: string;
  let store: FileStateStore;
  let cluster: MesosCluster;
  const logs: string[] = [];

  const open = async () => {
    const opened = new MesosCluster({
      masters: [master.url],
      framework: { user: 'root', roles: ['prod'] },
      store,
      log: (line) => logs.push(line),
      missedHeartbeats: 5,
      implicitReconcileMs: 300,
    });
    await opened.start();
    return opened;
  };
  const live = async (c: MesosCluster): Promise<ObservedTask[]> =>
    (await c.snapshot()).filter((t) => !isTerminal(t.state));

  before(async () => {
    master = await startQuickMaster(50);
    stateDir = mkdtempSync(join(tmpdir(), 'borealis-mesos-'));
    store = await FileStateStore.open(stateDir);
    cluster = await open();
  });
  afterEach(() => assert.deepEqual(master.violations, [], 'every request matched the Mesos message shapes'));
  after(async () => {
    await cluster.close();
    await master.close();
    await store.close();
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('launches six instances, one per host, and sees them RUNNING', async () => {
    await cluster.launch(launches(6));
    await eventually(
      async () => (await live(cluster)).filter((t) => t.state === 'RUNNING').length === 6,
      15_000,
      'six RUNNING tasks',
      50,
    ).catch((error: Error) => {
      throw new Error(
        `${error.message}\nlog: ${logs.join('\n')}\ncalls: ${master.calls.map((c) => `${c.type}:${c.status}`).join(' ')}`,
      );
    });
    const running = await live(cluster);
    assert.equal(new Set(running.map((t) => t.host)).size, 6, 'limit:1 per host');
    assert.ok(
      running.every(
        (t) => typeof t.ports.http === 'number' && t.ports.http >= 31000 && t.ports.http <= 31100,
      ),
    );
    assert.equal(master.tasks().filter((t) => t.state === 'TASK_RUNNING').length, 6);
  });

  it('judges whether launches fit from the agents and its own tasks, without listing every task', async () => {
    const running = (await live(cluster)).filter((t) => t.jobId === web.id);
    assert.equal(running.length, 6, 'the six web instances of the test before');
    const planned = (job: typeof web, instances: number[]) =>
      instances.map((instance) => ({ jobId: job.id, instance, config: job.instance }));
    const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);
    const listings = () => master.operatorCalls.filter((c) => c.type === 'GET_TASKS').length;
    const before = listings();

    assert.deepEqual(
      await cluster.placementProblems(planned(web, range(6, 50)), []),
      [],
      '44 hosts are left',
    );
    const crowded = await cluster.placementProblems(planned(web, range(6, 51)), []);
    assert.deepEqual(
      crowded.map((p) => [p.jobId, p.instances.length]),
      [[web.id, 1]],
      'limit:1 leaves one instance of 51 without a host of its own',
    );

    // A job that needs a whole agent fits on the 44 empty ones, and on one more when the
    // plan kills the web instance that holds it.
    const whole = spec({
      name: 'whole',
      instances: 45,
      task: {
        processes: [{ name: 'serve', cmdline: 'serve' }],
        resources: { cpu: 3.8, ram: '128MiB', disk: '64MiB' },
      },
    });
    const unreleased = await cluster.placementProblems(planned(whole, range(0, 45)), []);
    assert.deepEqual(
      unreleased.map((p) => p.instances.length),
      [1],
    );
    assert.match(unreleased[0]!.reasons.join('; '), /cpu/);
    assert.deepEqual(await cluster.placementProblems(planned(whole, range(0, 45)), [running[0]!.taskId]), []);
    assert.equal(listings(), before, 'no GET_TASKS: the framework knows its own tasks');
  });

  it('spreads instances launched one at a time: new work lifts the refusal filters first', async () => {
    const hosts: string[] = [];
    for (const instance of [0, 1, 2]) {
      const from = master.calls.length;
      await cluster.launch(launchesOf(api, [instance]));
      await eventually(
        async () =>
          (await live(cluster)).some(
            (t) => t.jobId === api.id && t.instance === instance && t.state === 'RUNNING',
          ),
        15_000,
        `api/${instance} RUNNING`,
        20,
      );
      hosts.push((await live(cluster)).find((t) => t.jobId === api.id && t.instance === instance)!.host);
      if (instance > 0)
        assert.ok(
          master.calls.slice(from).some((c) => c.type === 'REVIVE'),
          'the agents filtered by the last round are offered again',
        );
    }
    assert.equal(new Set(hosts).size, 3, `one host each: ${hosts.join(', ')}`);
    await cluster.kill((await live(cluster)).filter((t) => t.jobId === api.id).map((t) => t.taskId));
  });

  it('answers the same frozen snapshot until a task changes', async () => {
    const before = await cluster.snapshot();
    assert.equal(await cluster.snapshot(), before, 'nothing changed: the same array');
    assert.ok(Object.isFrozen(before) && before.every((task) => Object.isFrozen(task)));
    await cluster.launch(launchesOf(api, [7]));
    const after = await cluster.snapshot();
    assert.notEqual(after, before);
    assert.ok(after.some((t) => t.jobId === api.id && t.instance === 7));
    await cluster.kill(after.filter((t) => t.jobId === api.id && t.instance === 7).map((t) => t.taskId));
    await eventually(
      async () =>
        (await cluster.snapshot()).some((t) => t.instance === 7 && t.jobId === api.id && isTerminal(t.state)),
      15_000,
      'api/7 ended',
      20,
    );
  });

  it('kills a task, and says it was asked to (drift does not count the end)', async () => {
    const [victim] = await live(cluster);
    await cluster.kill([victim!.taskId]);
    await eventually(
      async () => (await cluster.snapshot()).find((t) => t.taskId === victim!.taskId)?.state === 'KILLED',
      10_000,
      'KILLED',
      50,
    );
    const killed = (await cluster.snapshot()).find((t) => t.taskId === victim!.taskId);
    assert.equal(killed?.killRequested, true);
  });

  it('reports the tasks of a lost agent as LOST', async () => {
    const [task] = await live(cluster);
    const agent = master.tasks().find((t) => t.taskId === task!.taskId)!.agentId;
    master.loseAgent(agent);
    await eventually(
      async () => (await cluster.snapshot()).find((t) => t.taskId === task!.taskId)?.state === 'LOST',
      10_000,
      'LOST',
      50,
    );
  });

  it('survives a dropped subscription: same framework id, no duplicate task', async () => {
    const frameworkId = cluster.frameworkId;
    const before = master.tasks().length;
    master.dropStream();
    await eventually(
      () => master.calls.filter((c) => c.type === 'SUBSCRIBE').length >= 2,
      15_000,
      'a re-subscribe',
      50,
    );
    await eventually(
      () => master.calls.some((c) => c.type === 'RECONCILE'),
      15_000,
      'explicit reconciliation',
      50,
    );
    assert.equal(cluster.frameworkId, frameworkId);
    assert.deepEqual(master.frameworkIds(), [frameworkId]);
    assert.equal(master.tasks().length, before, 'no task launched twice');
  });

  it('keeps the view of every task a reconciliation answer only confirms', async () => {
    const before = await cluster.snapshot();
    const from = master.calls.length;
    master.dropStream();
    await eventually(
      () => master.calls.slice(from).some((c) => c.type === 'RECONCILE'),
      15_000,
      'explicit reconciliation after the re-subscribe',
      20,
    );
    // Updates are handled in order: once this one is seen, the answers before it were too.
    const marker = before.find((t) => t.state === 'RUNNING' && t.healthy === undefined)!;
    master.reportHealth(marker.taskId, true);
    await eventually(
      async () => (await cluster.snapshot()).some((t) => t.taskId === marker.taskId && t.healthy === true),
      15_000,
      'the marker update',
      20,
    );
    const after = new Map((await cluster.snapshot()).map((t) => [t.taskId, t]));
    const live = before.filter((t) => !isTerminal(t.state) && t.taskId !== marker.taskId);
    assert.ok(live.length > 0);
    assert.deepEqual(
      live.filter((t) => after.get(t.taskId) !== t).map((t) => t.taskId),
      [],
      'no confirmed task got a new view',
    );
  });

  it('reconciles implicitly now and then', async () => {
    await eventually(
      () =>
        master.calls.some(
          (c) =>
            c.type === 'RECONCILE' &&
            ((c.body as { reconcile?: { tasks?: unknown[] } }).reconcile?.tasks ?? []).length === 0,
        ),
      10_000,
      'an implicit RECONCILE',
      50,
    );
  });

  it('a restarted driver re-adopts every running task from its records', async () => {
    const runningBefore = (await live(cluster)).map((t) => t.taskId).sort();
    await cluster.close();
    cluster = await open();
    await eventually(
      async () => (await live(cluster)).filter((t) => t.state === 'RUNNING').length === runningBefore.length,
      15_000,
      're-adopted tasks RUNNING',
      50,
    );
    assert.deepEqual((await live(cluster)).map((t) => t.taskId).sort(), runningBefore);
    assert.deepEqual(master.frameworkIds().length, 1, 'the same framework');
  });
});
