/**
 * The cron scheduler on the in-memory cluster and store, with a clock moved by hand: runs
 * at ticks, outcomes, collisions, run-now, and exactly once per tick when a scheduler dies
 * between recording a run and launching it.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { MemoryCluster } from '../../src/cluster/memory/memory-cluster.js';
import { MemoryTasks, type LaunchScript } from '../../src/cluster/memory/memory-tasks.js';
import type { Cluster, TaskLaunch } from '../../src/cluster/types.js';
import { CronRecords } from '../../src/cron/records.js';
import { CronScheduler, type CronReporter } from '../../src/cron/scheduler.js';
import { cronReporter } from '../../src/cron/report.js';
import type { NotificationEvent } from '../../src/notify/events.js';
import { messageOf } from '../../src/notify/message.js';
import type { CronJobState } from '../../src/cron/types.js';
import { MemoryStateStore } from '../../src/state/memory/memory-store.js';
import { Records } from '../../src/state/records.js';
import { ManualClock } from '../support/manual-clock.js';
import { recorded, spec } from '../support/specs.js';
import { withTimeout } from '../support/waiting.js';

const T0 = Date.UTC(2026, 11, 7, 12, 0, 30);
const minute = (n: number, seconds = 1) => Date.UTC(2026, 11, 7, 12, n, seconds);

interface World {
  machines: MemoryTasks;
  store: MemoryStateStore;
  records: Records;
  cron: CronRecords;
  clock: ManualClock;
  lines: string[];
  schedulers: CronScheduler[];
}

let world: World | undefined;

afterEach(async () => {
  for (const scheduler of world?.schedulers ?? []) await scheduler.stop();
  world = undefined;
});

async function setUp(
  job: Record<string, unknown>,
  script: (launch: TaskLaunch) => LaunchScript = () => ({ state: 'RUNNING' }),
): Promise<World> {
  const machines = new MemoryTasks({ script });
  const store = new MemoryStateStore(new Map());
  const records = new Records(store);
  const backup = spec({ name: 'backup', cron_schedule: '* * * * *', instances: 2, ...job });
  await records.putJob({ ...recorded(backup, 'c1'), appliedAt: T0 });
  world = {
    machines,
    store,
    records,
    cron: new CronRecords(store),
    clock: new ManualClock(T0 + 5_000),
    lines: [],
    schedulers: [],
  };
  return world;
}

function startScheduler(
  w: World,
  cluster: Cluster = new MemoryCluster(w.machines),
  reporter?: CronReporter,
): CronScheduler {
  const scheduler = new CronScheduler({
    cluster,
    records: w.records,
    cron: w.cron,
    clock: w.clock,
    log: (line) => w.lines.push(line),
    ...(reporter ? { reporter } : {}),
  });
  w.schedulers.push(scheduler);
  scheduler.start();
  return scheduler;
}

/** Passes until the job's cron record satisfies `check`. */
async function until(
  w: World,
  scheduler: CronScheduler,
  check: (state: CronJobState | undefined) => boolean,
  what: string,
): Promise<CronJobState> {
  const job = 'local/www-data/prod/backup';
  return withTimeout(
    (async () => {
      for (;;) {
        const state = (await w.cron.get(job))?.state;
        if (check(state)) return state!;
        // What the memory cluster's tasks do on their own happens on a later turn: let it.
        await w.machines.idle();
        scheduler.poke();
        await scheduler.nextPass();
      }
    })(),
    10_000,
    () => `${what}; log: ${w.lines.join(' | ')}`,
  );
}

const outcomes = (state: CronJobState | undefined) => state?.runs.map((run) => run.outcome) ?? [];

describe('CronScheduler', () => {
  it('runs every instance at the tick, and not before', async () => {
    const w = await setUp({});
    const scheduler = startScheduler(w);
    const first = await until(w, scheduler, (state) => state !== undefined, 'the first look');
    assert.deepEqual(first.runs, []);
    assert.equal(w.machines.snapshot().length, 0, 'nothing runs at deploy time');
    assert.equal(w.clock.nextTimer(), minute(1, 0));

    w.clock.set(minute(1));
    const ran = await until(w, scheduler, (state) => outcomes(state).length === 1, 'the run at 12:01');
    const [run] = ran.runs;
    const tasks = w.machines.snapshot().filter((task) => task.cronRun === run!.id);
    assert.equal(tasks.length, 2);
    assert.deepEqual(tasks.map((task) => task.instance).sort(), [0, 1]);
  });

  it('records the outcome when the tasks end, and counts failures within the run', async () => {
    const w = await setUp({ max_task_failures: 2 }, () => ({ state: 'STARTING' }));
    const scheduler = startScheduler(w);
    w.clock.set(minute(1));
    const started = await until(w, scheduler, (state) => outcomes(state)[0] === 'running', 'a run');
    const [zero, one] = started.runs[0]!.instances;
    w.machines.settle(zero!.taskId, 'FINISHED');
    w.machines.settle(one!.taskId, 'FAILED');
    const retried = await until(
      w,
      scheduler,
      (state) => state!.runs[0]!.instances[1]!.failures === 1,
      'a retry',
    );
    const retry = retried.runs[0]!.instances[1]!.taskId;
    assert.notEqual(retry, one!.taskId);
    assert.equal(w.machines.get(retry)?.cronRun, retried.runs[0]!.id);
    w.machines.settle(retry, 'FAILED');
    const ended = await until(w, scheduler, (state) => outcomes(state)[0] === 'failed', 'the failed run');
    assert.match(ended.runs[0]!.detail!, /instance 1 \(2 failures\) failed/);
  });

  it('CANCEL_NEW: a run still going makes the next tick a recorded skip', async () => {
    const w = await setUp({ cron_collision_policy: 'CANCEL_NEW' });
    const scheduler = startScheduler(w);
    w.clock.set(minute(1));
    await until(w, scheduler, (state) => outcomes(state).length === 1, 'the first run');
    w.clock.set(minute(2));
    const state = await until(w, scheduler, (s) => outcomes(s).length === 2, 'the second tick');
    assert.deepEqual(outcomes(state), ['running', 'skipped']);
    await w.machines.idle();
    assert.equal(w.machines.snapshot().filter((task) => task.state === 'RUNNING').length, 2);
  });

  it('KILL_EXISTING: the next tick kills the run still going and starts its own', async () => {
    const w = await setUp({});
    const scheduler = startScheduler(w);
    w.clock.set(minute(1));
    const first = await until(w, scheduler, (state) => outcomes(state).length === 1, 'the first run');
    w.clock.set(minute(2));
    const state = await until(w, scheduler, (s) => outcomes(s).length === 2, 'the second run');
    assert.deepEqual(outcomes(state), ['killed', 'running']);
    await w.machines.idle();
    for (const instance of first.runs[0]!.instances)
      assert.equal(w.machines.get(instance.taskId)?.state, 'KILLED');
    const live = w.machines.snapshot().filter((task) => task.state === 'RUNNING');
    assert.deepEqual([...new Set(live.map((task) => task.cronRun))], [state.runs[1]!.id]);
  });

  it('starts a run now on request, under the collision policy', async () => {
    const w = await setUp({ cron_collision_policy: 'CANCEL_NEW' });
    const scheduler = startScheduler(w);
    await until(w, scheduler, (state) => state !== undefined, 'the first look');
    const started = await scheduler.startNow('local/www-data/prod/backup');
    assert.ok('started' in started, JSON.stringify(started));
    const again = await scheduler.startNow('local/www-data/prod/backup');
    assert.ok('skipped' in again, JSON.stringify(again));
    const unknown = await scheduler.startNow('local/www-data/prod/nope');
    assert.deepEqual('refused' in unknown && unknown.refused, 'not_cron');
  });

  it('a scheduler that dies after recording a tick and before launching: the next one launches the same tasks, once', async () => {
    const w = await setUp({});
    const failing: Cluster = Object.assign(Object.create(new MemoryCluster(w.machines)) as MemoryCluster, {
      launch: () => Promise.reject(new Error('the scheduler died here')),
    });
    const dying = startScheduler(w, failing);
    w.clock.set(minute(1));
    const recordedRun = await until(w, dying, (state) => outcomes(state).length === 1, 'the recorded tick');
    await dying.stop();
    assert.equal(w.machines.snapshot().length, 0, 'the dying scheduler launched nothing');

    const next = startScheduler(w);
    const state = await until(
      w,
      next,
      () => w.machines.snapshot().filter((task) => task.state === 'RUNNING').length === 2,
      'the launches',
    );
    assert.deepEqual(
      state.runs.map((run) => run.id),
      recordedRun.runs.map((run) => run.id),
      'the tick ran once',
    );
    for (const instance of recordedRun.runs[0]!.instances)
      assert.equal(w.machines.starts(instance.taskId), 1);
  });

  it('a new leader after the tick does not run it again', async () => {
    const w = await setUp({});
    const first = startScheduler(w);
    w.clock.set(minute(1));
    await until(w, first, (state) => outcomes(state).length === 1, 'the run');
    await first.stop();
    w.clock.set(minute(1, 30));
    const second = startScheduler(w);
    const state = await until(w, second, (s) => s !== undefined, 'a look');
    await second.nextPass();
    assert.equal(state.runs.length, 1);
    assert.equal(w.machines.snapshot().length, 2);
  });

  it('ticks missed while no scheduler ran are recorded once and not run late', async () => {
    const w = await setUp({});
    w.clock.set(minute(30, 30));
    const scheduler = startScheduler(w);
    const state = await until(w, scheduler, (s) => s !== undefined, 'a look');
    assert.deepEqual(outcomes(state), ['missed', 'running']);
    assert.equal(state.runs[0]!.missed?.count, 29);
    assert.ok(
      w.lines.some((line) => /missed: 29 ticks/.test(line)),
      w.lines.join('\n'),
    );
  });

  it('a failed run is told in chat once, and counted; later passes tell nothing more', async () => {
    const w = await setUp({ instances: 1 }, () => ({ state: 'FAILED' }));
    const told: NotificationEvent[] = [];
    const counted: string[] = [];
    const reporter = cronReporter({
      cluster: 'local',
      now: () => w.clock.now(),
      notify: (event) => told.push(event),
      counter: { cronRunEnded: (job, outcome) => counted.push(`${job} ${outcome}`) },
    });
    const scheduler = startScheduler(w, undefined, reporter);
    w.clock.set(minute(1));
    await until(w, scheduler, (state) => outcomes(state)[0] === 'failed', 'the failed run');
    for (let pass = 0; pass < 3; pass++) {
      const next = scheduler.nextPass();
      scheduler.poke();
      await next;
    }
    assert.equal(told.length, 1, JSON.stringify(told));
    const [event] = told;
    assert.equal(event!.type, 'cron_run');
    assert.equal(messageOf(event!).title, 'Cron run failed: local/www-data/prod/backup');
    assert.match(messageOf(event!).body, /instance 0 \(1 failure\) failed/);
    assert.deepEqual(counted, ['local/www-data/prod/backup failed']);
  });
});
