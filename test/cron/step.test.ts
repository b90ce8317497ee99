import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ObservedTask, TaskState } from '../../src/cluster/types.js';
import { START_GRACE_MS, stepCron, type CronJob, type CronStepInput } from '../../src/cron/step.js';
import { CRON_HISTORY_LIMIT, type CronJobState, type CronRun } from '../../src/cron/types.js';

const at = (hh: number, mm: number, ss = 0, ms = 0) => Date.UTC(2026, 11, 7, hh, mm, ss, ms);

function cronJob(overrides: Partial<CronJob> = {}): CronJob {
  return {
    id: 'local/ops/prod/backup',
    key: { cluster: 'local', role: 'ops', environment: 'prod', name: 'backup' },
    schedule: { expression: '* * * * *', timezone: 'UTC' },
    policy: 'KILL_EXISTING',
    paused: false,
    instances: 2,
    maxTaskFailures: 1,
    configHash: 'h1',
    commit: 'c1',
    appliedAt: at(12, 0, 30),
    ...overrides,
  };
}

const hourly = cronJob({ schedule: { expression: '0 * * * *', timezone: 'UTC' } });

function state(overrides: Partial<CronJobState> = {}): CronJobState {
  return {
    format: 1,
    jobId: 'local/ops/prod/backup',
    lastTick: at(12, 0, 30),
    schedule: '* * * * *',
    timezone: 'UTC',
    runs: [],
    ...overrides,
  };
}

function runningRun(id: string, taskIds: string[], overrides: Partial<CronRun> = {}): CronRun {
  return {
    id,
    trigger: 'schedule',
    scheduledAt: at(12, 1),
    startedAt: at(12, 1, 1),
    outcome: 'running',
    configHash: 'h1',
    commit: 'c1',
    instances: taskIds.map((taskId, instance) => ({ instance, taskId, failures: 0 })),
    ...overrides,
  };
}

function task(taskId: string, taskState: TaskState, extra: Partial<ObservedTask> = {}): ObservedTask {
  return {
    taskId,
    jobId: 'local/ops/prod/backup',
    instance: 0,
    configHash: 'h1',
    commit: 'c1',
    cronRun: 'schedule-20261207T120100Z',
    state: taskState,
    updatedAt: at(12, 1, 5),
    launchedAt: at(12, 1, 1),
    host: 'localhost',
    ports: {},
    ...extra,
  };
}

type GivenInput = Omit<Partial<CronStepInput>, 'tasks'> & { tasks?: ObservedTask[] };

function input(overrides: GivenInput): CronStepInput {
  let counter = 0;
  const { tasks = [], ...rest } = overrides;
  return {
    job: cronJob(),
    state: undefined,
    now: at(12, 0, 40),
    newTaskId: (_key, instance) => `t${instance}-${++counter}`,
    ...rest,
    tasks: new Map(tasks.map((t) => [t.taskId, t])),
  };
}

describe('stepCron: ticks', () => {
  const cases: {
    name: string;
    given: GivenInput;
    launches: number;
    lastTick: number;
    outcomes: string[];
    wakeAt?: number;
  }[] = [
    {
      name: 'a job just applied waits for its first tick: nothing runs at deploy time',
      given: { now: at(12, 0, 40) },
      launches: 0,
      lastTick: at(12, 0, 30),
      outcomes: [],
      wakeAt: at(12, 1),
    },
    {
      name: 'applied just after a minute boundary: that minute is not run',
      given: { job: cronJob({ appliedAt: at(12, 1, 0, 500) }), now: at(12, 1, 1) },
      launches: 0,
      lastTick: at(12, 1, 0, 500),
      outcomes: [],
      wakeAt: at(12, 2),
    },
    {
      name: 'the tick is due: every instance starts',
      given: { state: state(), now: at(12, 1, 2) },
      launches: 2,
      lastTick: at(12, 1),
      outcomes: ['running'],
      wakeAt: at(12, 2),
    },
    {
      name: 'a tick START_GRACE_MS late still starts',
      given: {
        job: hourly,
        state: state({ lastTick: at(11, 30), schedule: '0 * * * *' }),
        now: at(12, 0) + START_GRACE_MS,
      },
      launches: 2,
      lastTick: at(12, 0),
      outcomes: ['running'],
    },
    {
      name: 'a tick a millisecond later than that is missed',
      given: {
        job: hourly,
        state: state({ lastTick: at(11, 30), schedule: '0 * * * *' }),
        now: at(12, 0) + START_GRACE_MS + 1,
      },
      launches: 0,
      lastTick: at(12, 0),
      outcomes: ['missed'],
    },
    {
      name: 'a tick already recorded (a new leader after the tick) never starts again',
      given: { state: state({ lastTick: at(12, 1) }), now: at(12, 1, 20) },
      launches: 0,
      lastTick: at(12, 1),
      outcomes: [],
    },
    {
      name: 'ticks missed while no scheduler ran are one missed entry; the current one starts',
      given: { state: state({ lastTick: at(10, 0) }), now: at(12, 0, 30) },
      launches: 2,
      lastTick: at(12, 0),
      outcomes: ['missed', 'running'],
    },
    {
      name: 'ticks all older than the grace are missed, none run late',
      given: {
        job: cronJob({ schedule: { expression: '0 * * * *', timezone: 'UTC' } }),
        state: state({ lastTick: at(9, 0), schedule: '0 * * * *' }),
        now: at(12, 30),
      },
      launches: 0,
      lastTick: at(12, 0),
      outcomes: ['missed'],
      wakeAt: at(13, 0),
    },
    {
      name: 'paused: nothing starts, no tick is missed, no wake-up',
      given: { job: cronJob({ paused: true }), state: state({ lastTick: at(10, 0) }), now: at(12, 0, 30) },
      launches: 0,
      lastTick: at(10, 0),
      outcomes: [],
      wakeAt: undefined,
    },
    {
      name: 'unpaused: ticks count from when the unpause was applied',
      given: {
        job: cronJob({ appliedAt: at(12, 0, 10) }),
        state: state({ lastTick: at(10, 0), dormant: true }),
        now: at(12, 0, 30),
      },
      launches: 0,
      lastTick: at(12, 0, 10),
      outcomes: [],
    },
    {
      name: 'a new schedule counts from when it was applied: the old ticks are not missed',
      given: {
        job: cronJob({ schedule: { expression: '*/5 * * * *', timezone: 'UTC' }, appliedAt: at(12, 2, 30) }),
        state: state({ lastTick: at(11, 0) }),
        now: at(12, 3),
      },
      launches: 0,
      lastTick: at(12, 2, 30),
      outcomes: [],
      wakeAt: at(12, 5),
    },
  ];
  for (const { name, given, launches, lastTick, outcomes, wakeAt } of cases) {
    it(name, () => {
      const result = stepCron(input(given));
      assert.equal(result.launches.length, launches);
      assert.equal(result.state?.lastTick, lastTick);
      assert.deepEqual(
        result.state?.runs.map((run) => run.outcome),
        outcomes,
      );
      if (wakeAt !== undefined) assert.equal(result.wakeAt, wakeAt);
      if (given.job?.paused) assert.equal(result.wakeAt, undefined);
    });
  }

  it('a started run saves its task ids and marks every launch with its run id', () => {
    const result = stepCron(input({ state: state(), now: at(12, 1, 2) }));
    const [run] = result.state!.runs;
    assert.equal(run!.id, 'schedule-20261207T120100Z');
    assert.deepEqual(
      result.launches,
      run!.instances.map((instance) => ({
        runId: run!.id,
        instance: instance.instance,
        taskId: instance.taskId,
      })),
    );
    assert.equal(run!.startedAt, at(12, 1, 2));
    assert.deepEqual(
      result.events.map((event) => event.type),
      ['run_started'],
    );
  });

  it('the missed entry counts the ticks and names the oldest and the newest', () => {
    const result = stepCron(input({ state: state({ lastTick: at(10, 0) }), now: at(12, 0, 30) }));
    const missed = result.state!.runs[0]!;
    assert.equal(missed.scheduledAt, at(10, 1));
    assert.deepEqual(missed.missed, { count: 119, latest: at(11, 59) });
    assert.ok(result.events.some((event) => event.type === 'ticks_missed'));
  });

  it('a step with nothing new changes nothing', () => {
    const first = stepCron(input({ state: state(), now: at(12, 1, 2) }));
    const tasks = first.launches.map((launch) => task(launch.taskId, 'RUNNING', { cronRun: launch.runId }));
    const second = stepCron(input({ state: first.state, tasks, now: at(12, 1, 30) }));
    assert.equal(second.changed, false);
    assert.deepEqual([second.launches, second.kills, second.events], [[], [], []]);
  });
});

describe('stepCron: collisions', () => {
  const going = runningRun('schedule-20261207T120100Z', ['a', 'b']);
  const live = [task('a', 'RUNNING'), task('b', 'RUNNING', { instance: 1 })];

  it('CANCEL_NEW: the tick is skipped and recorded, the run goes on', () => {
    const result = stepCron(
      input({
        job: cronJob({ policy: 'CANCEL_NEW' }),
        state: state({ lastTick: at(12, 1), runs: [going] }),
        tasks: live,
        now: at(12, 2, 1),
      }),
    );
    assert.deepEqual(result.launches, []);
    assert.deepEqual(result.kills, []);
    assert.deepEqual(
      result.state!.runs.map((run) => [run.id, run.outcome]),
      [
        ['schedule-20261207T120100Z', 'running'],
        ['skipped-20261207T120200Z', 'skipped'],
      ],
    );
    assert.equal(result.state!.lastTick, at(12, 2));
  });

  it('KILL_EXISTING: the run in progress is killed and the new one starts', () => {
    const result = stepCron(
      input({ state: state({ lastTick: at(12, 1), runs: [going] }), tasks: live, now: at(12, 2, 1) }),
    );
    assert.deepEqual(result.kills.sort(), ['a', 'b']);
    assert.equal(result.launches.length, 2);
    const [old, fresh] = result.state!.runs;
    assert.equal(old!.outcome, 'killed');
    assert.match(old!.detail!, /KILL_EXISTING/);
    assert.equal(fresh!.outcome, 'running');
  });

  it('a live task of a killed run is killed again until the cluster is killing it', () => {
    const killed = {
      ...going,
      outcome: 'killed' as const,
      instances: going.instances.map((i) => ({ ...i, ended: 'KILLED' as const })),
    };
    const result = stepCron(
      input({ state: state({ lastTick: at(12, 1), runs: [killed] }), tasks: live, now: at(12, 1, 30) }),
    );
    assert.deepEqual(result.kills.sort(), ['a', 'b']);
    const asked = stepCron(
      input({
        state: state({ lastTick: at(12, 1), runs: [killed] }),
        tasks: live.map((t) => ({ ...t, killRequested: true })),
        now: at(12, 1, 30),
      }),
    );
    assert.deepEqual(asked.kills.sort(), ['a', 'b'], 'asked for is not done');
    const killing = stepCron(
      input({
        state: state({ lastTick: at(12, 1), runs: [killed] }),
        tasks: live.map((t) => ({ ...t, killRequested: true, state: 'KILLING' as const })),
        now: at(12, 1, 30),
      }),
    );
    assert.deepEqual(killing.kills, []);
  });
});

describe('stepCron: following a run', () => {
  const cases: {
    name: string;
    tasks: ObservedTask[];
    /** null: descheduled. */
    job?: CronJob | null;
    outcome: string;
    launches: number;
    failures: number[];
  }[] = [
    {
      name: 'every instance finished: succeeded',
      tasks: [task('a', 'FINISHED'), task('b', 'FINISHED', { instance: 1 })],
      outcome: 'succeeded',
      launches: 0,
      failures: [0, 0],
    },
    {
      name: 'one instance still running: running',
      tasks: [task('a', 'FINISHED'), task('b', 'RUNNING', { instance: 1 })],
      outcome: 'running',
      launches: 0,
      failures: [0, 0],
    },
    {
      name: 'a failure with max_task_failures 1: the run failed',
      tasks: [task('a', 'FINISHED'), task('b', 'FAILED', { instance: 1 })],
      outcome: 'failed',
      launches: 0,
      failures: [0, 1],
    },
    {
      name: 'a failure with max_task_failures 3: relaunched under a new id',
      tasks: [task('a', 'FINISHED'), task('b', 'FAILED', { instance: 1 })],
      job: cronJob({ maxTaskFailures: 3 }),
      outcome: 'running',
      launches: 1,
      failures: [0, 1],
    },
    {
      name: 'unlimited failures (-1): relaunched',
      tasks: [task('a', 'LOST'), task('b', 'FINISHED', { instance: 1 })],
      job: cronJob({ maxTaskFailures: -1 }),
      outcome: 'running',
      launches: 1,
      failures: [1, 0],
    },
    {
      name: 'a kill nobody in Borealis asked for is a failure',
      tasks: [task('a', 'KILLED'), task('b', 'FINISHED', { instance: 1 })],
      outcome: 'failed',
      launches: 0,
      failures: [1, 0],
    },
    {
      name: 'a kill Borealis asked for ends the run killed',
      tasks: [task('a', 'KILLED', { killRequested: true }), task('b', 'FINISHED', { instance: 1 })],
      outcome: 'killed',
      launches: 0,
      failures: [0, 0],
    },
    {
      name: 'a saved task the cluster never saw (died before launching) is launched under its saved id',
      tasks: [task('a', 'RUNNING')],
      outcome: 'running',
      launches: 1,
      failures: [0, 0],
    },
    {
      name: 'descheduled: the run goes on and a failure is not retried',
      tasks: [task('a', 'FAILED'), task('b', 'RUNNING', { instance: 1 })],
      job: null,
      outcome: 'running',
      launches: 0,
      failures: [1, 0],
    },
    {
      name: 'the job changed since the run started: a failure is not retried with the new configuration',
      tasks: [task('a', 'FAILED'), task('b', 'FINISHED', { instance: 1 })],
      job: cronJob({ maxTaskFailures: 3, configHash: 'h2' }),
      outcome: 'failed',
      launches: 0,
      failures: [1, 0],
    },
  ];
  for (const { name, tasks, job, outcome, launches, failures } of cases) {
    it(name, () => {
      const given = state({
        lastTick: at(12, 1),
        runs: [runningRun('schedule-20261207T120100Z', ['a', 'b'])],
      });
      const result = stepCron(
        input({
          job: job === null ? undefined : (job ?? cronJob()),
          state: given,
          tasks,
          now: at(12, 1, 40),
        }),
      );
      const run = result.state!.runs[0]!;
      assert.equal(run.outcome, outcome);
      assert.equal(result.launches.length, launches);
      assert.deepEqual(
        run.instances.map((instance) => instance.failures),
        failures,
      );
      if (outcome !== 'running') {
        assert.equal(run.endedAt, at(12, 1, 40));
        assert.ok(result.events.some((event) => event.type === 'run_ended'));
      }
      if (launches > 0 && name.includes('new id')) assert.notEqual(result.launches[0]!.taskId, 'b');
      if (name.includes('saved id')) assert.equal(result.launches[0]!.taskId, 'b');
    });
  }
});

describe('stepCron: run now', () => {
  it('starts a run now, at once, without touching the schedule', () => {
    const result = stepCron(input({ state: state(), now: at(12, 0, 45), startNow: true }));
    assert.match((result.started as { started: string }).started, /^manual-20261207T120045Z$/);
    assert.equal(result.state!.lastTick, at(12, 0, 30));
    assert.equal(result.launches.length, 2);
  });

  it('is skipped under CANCEL_NEW while a run is going, and recorded', () => {
    const going = runningRun('schedule-20261207T120100Z', ['a', 'b']);
    const result = stepCron(
      input({
        job: cronJob({ policy: 'CANCEL_NEW' }),
        state: state({ lastTick: at(12, 1), runs: [going] }),
        tasks: [task('a', 'RUNNING'), task('b', 'RUNNING', { instance: 1 })],
        now: at(12, 1, 30),
        startNow: true,
      }),
    );
    assert.ok('skipped' in result.started!);
    assert.equal(result.state!.runs.at(-1)!.trigger, 'manual');
    assert.equal(result.launches.length, 0);
  });

  it('is refused for a paused job and for a job that is not cron', () => {
    const paused = stepCron(input({ job: cronJob({ paused: true }), state: state(), startNow: true }));
    assert.deepEqual(paused.started && 'refused' in paused.started && paused.started.refused, 'paused');
    const none = stepCron(input({ job: undefined, state: state(), startNow: true }));
    assert.deepEqual(none.started && 'refused' in none.started && none.started.refused, 'not_cron');
  });

  it('two run-now requests in one minute get distinct ids', () => {
    const first = stepCron(input({ state: state(), now: at(12, 0, 45), startNow: true }));
    const second = stepCron(input({ state: first.state, now: at(12, 0, 45), startNow: true }));
    const ids = second.state!.runs.map((run) => run.id);
    assert.equal(new Set(ids).size, ids.length);
  });
});

describe('stepCron: history', () => {
  it(`keeps the newest ${CRON_HISTORY_LIMIT} entries and never drops a run in progress`, () => {
    const old = runningRun('schedule-old', ['x'], { scheduledAt: at(1, 0) });
    const ended = Array.from({ length: CRON_HISTORY_LIMIT + 5 }, (_, index) => ({
      ...runningRun(`schedule-${index}`, ['y']),
      outcome: 'succeeded' as const,
    }));
    const result = stepCron(
      input({
        state: state({ lastTick: at(12, 0, 40), runs: [old, ...ended] }),
        tasks: [task('x', 'RUNNING', { cronRun: 'schedule-old' })],
      }),
    );
    const ids = result.state!.runs.map((run) => run.id);
    assert.equal(ids.length, CRON_HISTORY_LIMIT);
    assert.equal(ids[0], 'schedule-old');
    assert.equal(ids.at(-1), `schedule-${CRON_HISTORY_LIMIT + 4}`);
  });

  it("forgets the ended tasks of runs that left the history, and keeps the others' for their logs", () => {
    const kept = { ...runningRun('schedule-kept', ['k']), outcome: 'succeeded' as const };
    const result = stepCron(
      input({
        state: state({ lastTick: at(12, 0, 40), runs: [kept] }),
        tasks: [
          task('k', 'FINISHED', { cronRun: 'schedule-kept' }),
          task('gone', 'FINISHED', { cronRun: 'schedule-gone' }),
        ],
      }),
    );
    assert.deepEqual(result.forget, ['gone']);
  });

  it('a job with neither a record nor a state has nothing to keep', () => {
    const result = stepCron(input({ job: undefined, state: undefined }));
    assert.deepEqual([result.state, result.changed], [undefined, false]);
  });
});
