/**
 * Cron runs on Mesos: the scheduler on the Mesos driver against the protocol-faithful test
 * master (two masters, failover in ZooKeeper-less mode), with a clock moved by hand. A run,
 * a collision under each policy, and a Borealis leader that dies in the middle of a tick
 * while the Mesos master fails over too: the next scheduler launches the saved tasks, each
 * accepted by the master once.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { MesosCluster } from '../../src/cluster/mesos/cluster.js';
import type { Cluster } from '../../src/cluster/types.js';
import { CronRecords } from '../../src/cron/records.js';
import { CronScheduler } from '../../src/cron/scheduler.js';
import type { CronJobState } from '../../src/cron/types.js';
import { FileStateStore } from '../../src/state/file/file-store.js';
import { Records } from '../../src/state/records.js';
import { ManualClock } from '../support/manual-clock.js';
import { agents, MesosEnsemble, QUICK_TIMINGS, ROOMY_AGENT } from '../support/mesos-master/index.js';
import { recorded, spec } from '../support/specs.js';
import { withTimeout } from '../support/waiting.js';

const T0 = Date.UTC(2026, 11, 7, 12, 0, 30);
const minute = (n: number) => Date.UTC(2026, 11, 7, 12, n, 1);
const SETTLE_MS = 20_000;

/** A task of the `finisher` job finishes after a moment; every other one runs until killed. */
function behaviour(taskInfo: Record<string, unknown>) {
  return JSON.stringify(taskInfo).includes('/finisher')
    ? { kind: 'finishes' as const, afterMs: 100 }
    : { kind: 'runs' as const };
}

describe('cron runs on Mesos', () => {
  let ensemble: MesosEnsemble;
  let stateDir: string;
  let store: FileStateStore;
  let records: Records;
  let cron: CronRecords;
  const clusters: MesosCluster[] = [];
  const schedulers: CronScheduler[] = [];
  const lines: string[] = [];

  before(async () => {
    ensemble = await MesosEnsemble.start(2, { agents: agents(2, ROOMY_AGENT), ...QUICK_TIMINGS, behaviour });
    stateDir = mkdtempSync(join(tmpdir(), 'borealis-mesos-cron-'));
    store = await FileStateStore.open(stateDir);
    records = new Records(store);
    cron = new CronRecords(store);
  });
  after(async () => {
    await closeAll();
    await ensemble.close();
    await store.close();
    rmSync(stateDir, { recursive: true, force: true });
  });

  /** One framework connection at a time: a second one on the same store is the same framework. */
  const closeAll = async () => {
    for (const scheduler of schedulers.splice(0)) await scheduler.stop();
    for (const cluster of clusters.splice(0)) await cluster.close();
  };
  const openCluster = async (): Promise<MesosCluster> => {
    const cluster = new MesosCluster({
      masters: ensemble.urls,
      framework: { user: 'root', roles: ['test'] },
      store,
      log: () => undefined,
      missedHeartbeats: 5,
    });
    clusters.push(cluster);
    await cluster.start();
    return cluster;
  };
  const schedule = async (name: string, fields: Record<string, unknown>) => {
    const job = spec({ name, cron_schedule: '* * * * *', instances: 2, ...fields });
    await records.putJob({ ...recorded(job, 'c1'), appliedAt: T0 });
    return job.id;
  };
  const startScheduler = (cluster: Cluster, clock: ManualClock) => {
    const scheduler = new CronScheduler({ cluster, records, cron, clock, log: (line) => lines.push(line) });
    schedulers.push(scheduler);
    scheduler.start();
    return scheduler;
  };
  /** Looks again (a pass at a time, as task updates and pokes come) until the record satisfies `check`. */
  const until = (
    scheduler: CronScheduler,
    job: string,
    check: (state: CronJobState | undefined) => boolean,
    what: string,
  ): Promise<CronJobState> =>
    withTimeout(
      (async () => {
        for (;;) {
          const state = (await cron.get(job))?.state;
          if (check(state)) return state!;
          const next = scheduler.nextPass();
          scheduler.poke();
          await next;
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      })(),
      SETTLE_MS,
      () => `${what}; log: ${lines.join(' | ')}`,
    );
  const outcomes = (state: CronJobState | undefined) => state?.runs.map((run) => run.outcome) ?? [];
  const masterStates = (taskIds: readonly string[]) =>
    taskIds.map((id) => ensemble.leader.tasks().find((task) => task.taskId === id)?.state);
  const accepted = (taskId: string) =>
    ensemble.leader.calls.filter(
      (call) => call.type === 'ACCEPT' && JSON.stringify(call.body).includes(taskId),
    ).length;

  it('runs every instance of a tick as Mesos tasks and records the outcome', async () => {
    const job = await schedule('finisher', {});
    const clock = new ManualClock(T0 + 5_000);
    const scheduler = startScheduler(await openCluster(), clock);
    await until(scheduler, job, (state) => state !== undefined, 'a first look');
    assert.equal(ensemble.leader.tasks().length, 0, 'nothing runs before the tick');
    clock.set(minute(1));
    const done = await until(
      scheduler,
      job,
      (state) => outcomes(state)[0] === 'succeeded',
      'the run to succeed',
    );
    const taskIds = done.runs[0]!.instances.map((instance) => instance.taskId);
    assert.deepEqual(masterStates(taskIds), ['TASK_FINISHED', 'TASK_FINISHED']);
    await closeAll();
  });

  for (const policy of ['CANCEL_NEW', 'KILL_EXISTING'] as const) {
    it(`${policy}: the next tick while a run is going`, async () => {
      const job = await schedule(`sleeper-${policy.toLowerCase().replace('_', '-')}`, {
        cron_collision_policy: policy,
      });
      const clock = new ManualClock(T0 + 5_000);
      const scheduler = startScheduler(await openCluster(), clock);
      clock.set(minute(1));
      const first = await until(scheduler, job, (state) => outcomes(state).length === 1, 'the first run');
      const firstTasks = first.runs[0]!.instances.map((instance) => instance.taskId);
      await until(
        scheduler,
        job,
        () => masterStates(firstTasks).every((s) => s === 'TASK_RUNNING'),
        'running',
      );
      clock.set(minute(2));
      if (policy === 'CANCEL_NEW') {
        const state = await until(scheduler, job, (s) => outcomes(s).length === 2, 'the skip');
        assert.deepEqual(outcomes(state), ['running', 'skipped']);
        assert.deepEqual(masterStates(firstTasks), ['TASK_RUNNING', 'TASK_RUNNING']);
      } else {
        const state = await until(
          scheduler,
          job,
          () => masterStates(firstTasks).every((s) => s === 'TASK_KILLED'),
          'the first run killed through the master',
        );
        assert.deepEqual(outcomes(state), ['killed', 'running']);
        const second = state.runs[1]!.instances.map((instance) => instance.taskId);
        await until(scheduler, job, () => masterStates(second).every((s) => s === 'TASK_RUNNING'), 'run 2');
      }
      await closeAll();
    });
  }

  it('a leader that dies after recording a tick: the next one launches the saved tasks, once, across a master failover', async () => {
    const job = await schedule('sleeper-failover', {});
    const clock = new ManualClock(T0 + 5_000);
    const cluster = await openCluster();
    const dying: Cluster = Object.assign(Object.create(cluster) as MesosCluster, {
      launch: () => Promise.reject(new Error('the leader died here')),
    });
    const first = startScheduler(dying, clock);
    clock.set(minute(1));
    const recordedRun = await until(first, job, (state) => outcomes(state).length === 1, 'the recorded tick');
    await first.stop();
    await cluster.close();
    await ensemble.failover();

    const heir = startScheduler(await openCluster(), clock);
    const taskIds = recordedRun.runs[0]!.instances.map((instance) => instance.taskId);
    const state = await until(
      heir,
      job,
      () => masterStates(taskIds).every((s) => s === 'TASK_RUNNING'),
      'the saved tasks running',
    );
    assert.deepEqual(
      state.runs.map((run) => run.id),
      [recordedRun.runs[0]!.id],
      'the tick ran once',
    );
    for (const taskId of taskIds) assert.equal(accepted(taskId), 1, `${taskId} accepted once`);
    await closeAll();
  });
});
