import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { REASON_TASK_INVALID, type ObservedTask } from '../../src/cluster/types.js';
import { IncrementalPlanner, TaskGrouping } from '../../src/plan/incremental.js';
import { plan, type PlanInput, type Planner } from '../../src/plan/planner.js';
import type { Action, CronPlan, InstanceSets, RecordedJob } from '../../src/plan/types.js';
import type { JobSpec } from '../../src/jobspec/types.js';
import { recorded, running, spec, task } from '../support/specs.js';

const NOW = 1_000_000_000;
const web = spec({ name: 'web', instances: 3, service: true });
const webNewCmd = spec({
  name: 'web',
  instances: 3,
  service: true,
  task: {
    processes: [{ name: 'main', cmdline: 'sleep 2000' }],
    resources: { cpu: 0.1, ram: '16MiB', disk: '16MiB' },
  },
});
const webBatch2 = spec({ name: 'web', instances: 3, service: true, update_config: { batch_size: 2 } });
const web5 = spec({ name: 'web', instances: 5, service: true });
const web2 = spec({ name: 'web', instances: 2, service: true });
const web5NewCmd = { ...webNewCmd, config: { ...webNewCmd.config, instances: 5 } };
const api = spec({ name: 'api', instances: 2, service: true });
const batch = spec({ name: 'batch', max_task_failures: 2 });
const old = spec({ name: 'old', instances: 2, service: true });

// Cron jobs. NOW is 1970-01-12T13:46:40Z: "0 3 * * *" next fires on the 13th, 14th and 15th.
const DAILY = '0 3 * * *';
const backup = spec({ name: 'backup', instances: 2, cron_schedule: DAILY });
const backupHourly = spec({ name: 'backup', instances: 2, cron_schedule: '0 * * * *' });
const backupNewCmd = spec({
  name: 'backup',
  instances: 2,
  cron_schedule: DAILY,
  task: {
    processes: [{ name: 'main', cmdline: 'sleep 2000' }],
    resources: { cpu: 0.1, ram: '16MiB', disk: '16MiB' },
  },
});
const backupPaused = spec({ name: 'backup', instances: 2, cron_schedule: DAILY, cron_paused: true });
const backupBerlin = spec({
  name: 'backup',
  instances: 2,
  cron_schedule: DAILY,
  cron_timezone: 'Europe/Berlin',
  cron_collision_policy: 'CANCEL_NEW',
});
const webAsCron = spec({ name: 'web', instances: 3, cron_schedule: DAILY });
const at3 = (day: number) => Date.UTC(1970, 0, day, 3);
const DAILY_RUNS = [at3(13), at3(14), at3(15)];

/** The tasks of a cron run: each instance of `job`, in `state`, labelled with the run. */
const runTasks = (job: JobSpec, state: ObservedTask['state'] = 'RUNNING', run = 'schedule-19700112T0300Z') =>
  Array.from({ length: job.config.instances }, (_, instance) =>
    task(job, instance, { state, cronRun: run, updatedAt: NOW - 1_000 }),
  );
/** A run going, and earlier runs that failed and finished: none of it is the planner's. */
const runsOf = (job: JobSpec) => [
  ...runTasks(job),
  ...runTasks(job, 'FAILED', 'schedule-19700111T0300Z'),
  ...runTasks(job, 'FAILED', 'schedule-19700110T0300Z'),
  ...runTasks(job, 'FINISHED', 'schedule-19700109T0300Z'),
];

interface Expect {
  action: Action;
  instances?: Partial<InstanceSets>;
  killTasks?: number;
  deferred?: number[];
  diffPaths?: string[];
  cron?: Partial<CronPlan>;
}

interface Case {
  name: string;
  desired: JobSpec[];
  observed: ObservedTask[];
  recorded: RecordedJob[];
  retryHeld?: boolean;
  prune?: boolean;
  expect: Record<string, Expect>;
  massKill?: boolean;
  warnings?: RegExp[];
}

/** `job` as recorded, with the update to `failed` held after it was rolled back. */
const heldRecord = (job: JobSpec, failed: JobSpec): RecordedJob => ({
  ...recorded(job),
  held: { configHash: failed.configHash, commit: 'c2', outcome: 'rolled_back', at: NOW - 60_000 },
});

const ended = (job: JobSpec, instance: number, state: ObservedTask['state'], endedMsAgo: number) =>
  task(job, instance, { state, updatedAt: NOW - endedMsAgo });

const CASES: Case[] = [
  {
    name: 'create-new-job',
    desired: [web],
    observed: [],
    recorded: [],
    expect: { [web.id]: { action: 'create', instances: { add: [0, 1, 2] } } },
  },
  {
    name: 'noop-on-converged-cluster',
    desired: [web],
    observed: running(web),
    recorded: [recorded(web)],
    expect: { [web.id]: { action: 'noop', instances: { unchanged: [0, 1, 2] } } },
  },
  {
    name: 'update-changed-command-line',
    desired: [webNewCmd],
    observed: running(web),
    recorded: [recorded(web)],
    expect: {
      [web.id]: {
        action: 'update',
        instances: { update: [0, 1, 2], unchanged: [] },
        diffPaths: ['task.processes[0].cmdline'],
      },
    },
  },
  {
    name: 'update-config-only-restarts-nothing',
    desired: [webBatch2],
    observed: running(web),
    recorded: [recorded(web)],
    expect: {
      [web.id]: {
        action: 'update',
        instances: { update: [], unchanged: [0, 1, 2] },
        diffPaths: ['update_config.batch_size'],
      },
    },
  },
  {
    name: 'scale-up',
    desired: [web5],
    observed: running(web),
    recorded: [recorded(web)],
    expect: {
      [web.id]: {
        action: 'scale',
        instances: { add: [3, 4], unchanged: [0, 1, 2] },
        diffPaths: ['instances'],
      },
    },
  },
  {
    name: 'scale-down',
    desired: [web2],
    observed: running(web),
    recorded: [recorded(web)],
    expect: { [web.id]: { action: 'scale', instances: { remove: [2], unchanged: [0, 1] }, killTasks: 1 } },
  },
  {
    name: 'scale-and-update-same-job',
    desired: [web5NewCmd],
    observed: running(web),
    recorded: [recorded(web)],
    expect: {
      [web.id]: {
        action: 'update',
        instances: { add: [3, 4], update: [0, 1, 2] },
        diffPaths: ['instances', 'task.processes[0].cmdline'],
      },
    },
  },
  {
    name: 'kill-job-removed-from-commit',
    desired: [],
    observed: running(old),
    recorded: [recorded(old)],
    expect: { [old.id]: { action: 'kill', instances: { remove: [0, 1] }, killTasks: 2 } },
    massKill: true,
  },
  {
    name: 'kill-recorded-job-with-no-tasks-drops-it',
    desired: [web],
    observed: running(web),
    recorded: [recorded(web), recorded(old)],
    expect: {
      [old.id]: { action: 'kill', instances: { remove: [] }, killTasks: 0 },
      [web.id]: { action: 'noop' },
    },
  },
  {
    name: 'create-and-kill-in-one-commit',
    desired: [web, api],
    observed: [...running(web), ...running(old)],
    recorded: [recorded(web), recorded(old)],
    expect: {
      [api.id]: { action: 'create', instances: { add: [0, 1] } },
      [old.id]: { action: 'kill', killTasks: 2 },
      [web.id]: { action: 'noop' },
    },
  },
  {
    name: 'orphan-task-nothing-declares',
    desired: [web],
    observed: [...running(web), task('local/x/prod/stray', 0)],
    recorded: [recorded(web)],
    expect: { 'local/x/prod/stray': { action: 'orphan', killTasks: 1 }, [web.id]: { action: 'noop' } },
  },
  {
    name: 'heal-instance-lost-long-ago',
    desired: [web],
    observed: [...running(web, 1), ended(web, 1, 'LOST', 3_600_000), task(web, 2)],
    recorded: [recorded(web)],
    expect: { [web.id]: { action: 'heal', instances: { heal: [1], unchanged: [0, 2] } } },
  },
  {
    name: 'heal-waits-for-back-off',
    desired: [web],
    observed: [task(web, 0), task(web, 1), ended(web, 2, 'FAILED', 100)],
    recorded: [recorded(web)],
    expect: { [web.id]: { action: 'noop', deferred: [2] } },
  },
  {
    name: 'heal-at-once-after-kills-borealis-made',
    desired: [web],
    observed: [
      task(web, 0),
      task(web, 1),
      ...[100, 200, 300].map((ago) => ({ ...ended(web, 2, 'KILLED', ago), killRequested: true })),
    ],
    recorded: [recorded(web)],
    expect: { [web.id]: { action: 'heal', instances: { heal: [2], unchanged: [0, 1] } } },
  },
  {
    name: 'heal-missing-instance-without-history',
    desired: [web],
    observed: running(web, 2),
    recorded: [recorded(web)],
    expect: { [web.id]: { action: 'heal', instances: { heal: [2] } } },
  },
  {
    name: 'batch-finished-stays-finished',
    desired: [batch],
    observed: [ended(batch, 0, 'FINISHED', 5_000)],
    recorded: [recorded(batch)],
    expect: { [batch.id]: { action: 'noop', instances: { heal: [], unchanged: [] } } },
  },
  {
    name: 'batch-failed-below-max-task-failures-relaunches',
    desired: [batch],
    observed: [ended(batch, 0, 'FAILED', 3_600_000)],
    recorded: [recorded(batch)],
    expect: { [batch.id]: { action: 'heal', instances: { heal: [0] } } },
  },
  {
    name: 'batch-failed-max-task-failures-gives-up',
    desired: [batch],
    observed: [ended(batch, 0, 'FAILED', 3_600_000), ended(batch, 0, 'FAILED', 3_500_000)],
    recorded: [recorded(batch)],
    expect: { [batch.id]: { action: 'noop', instances: { heal: [] } } },
    warnings: [/batch\/0 failed 2 time\(s\), reaching max_task_failures \(2\)/],
  },
  {
    name: 'service-refused-as-invalid-is-not-relaunched',
    desired: [web],
    observed: [
      ...running(web).filter((t) => t.instance !== 1),
      task(web, 1, { state: 'FAILED', reason: REASON_TASK_INVALID, updatedAt: NOW - 3_600_000 }),
    ],
    recorded: [recorded(web)],
    expect: { [web.id]: { action: 'noop', instances: { heal: [], unchanged: [0, 2] } } },
    warnings: [/web: the cluster refused configuration \w+ as invalid; nothing is launched with it until/],
  },
  {
    name: 'create-refused-as-invalid-launches-no-other-instance',
    desired: [web],
    observed: [
      task(web, 0, {
        state: 'FAILED',
        reason: REASON_TASK_INVALID,
        message: 'bad image',
        updatedAt: NOW - 1_000,
      }),
    ],
    recorded: [],
    expect: { [web.id]: { action: 'noop', instances: { add: [], heal: [] } } },
    warnings: [/refused configuration \w+ as invalid \(bad image\)/],
  },
  {
    name: 'held-update-keeps-the-recorded-configuration',
    desired: [webNewCmd],
    observed: running(web),
    recorded: [heldRecord(web, webNewCmd)],
    expect: { [web.id]: { action: 'noop', instances: { update: [], unchanged: [0, 1, 2] } } },
  },
  {
    name: 'held-update-heals-lost-instances-with-the-recorded-configuration',
    desired: [webNewCmd],
    observed: [...running(web).filter((t) => t.instance !== 2), ended(web, 2, 'LOST', 3_600_000)],
    recorded: [heldRecord(web, webNewCmd)],
    expect: { [web.id]: { action: 'heal', instances: { heal: [2], update: [] } } },
  },
  {
    name: 'held-update-retried-when-asked',
    desired: [webNewCmd],
    observed: running(web),
    recorded: [heldRecord(web, webNewCmd)],
    retryHeld: true,
    expect: { [web.id]: { action: 'update', instances: { update: [0, 1, 2] } } },
  },
  {
    name: 'a-held-job-still-scales-with-its-recorded-configuration',
    desired: [web5NewCmd],
    observed: running(web),
    recorded: [heldRecord(web, webNewCmd)],
    expect: { [web.id]: { action: 'scale', instances: { update: [], add: [3, 4], unchanged: [0, 1, 2] } } },
  },
  {
    name: 'a-hold-of-another-configuration-does-not-apply',
    desired: [webBatch2],
    observed: running(web),
    recorded: [heldRecord(web, webNewCmd)],
    expect: { [web.id]: { action: 'update', instances: { update: [], unchanged: [0, 1, 2] } } },
  },
  {
    name: 'service-refused-then-failed-normally-is-relaunched',
    desired: [web],
    observed: [
      ...running(web).filter((t) => t.instance !== 1),
      task(web, 1, { state: 'FAILED', reason: REASON_TASK_INVALID, updatedAt: NOW - 3_600_000 }),
      task(web, 1, { state: 'FAILED', updatedAt: NOW - 3_500_000 }),
    ],
    recorded: [recorded(web)],
    expect: { [web.id]: { action: 'heal', instances: { heal: [1] } } },
  },
  {
    name: 'no-prune-keeps-a-task-on-an-instance-never-declared',
    desired: [web],
    observed: [...running(web), task(web, 7)],
    recorded: [recorded(web)],
    prune: false,
    expect: { [web.id]: { action: 'noop', instances: { remove: [] }, killTasks: 0 } },
  },
  {
    name: 'no-prune-still-scales-down-as-git-asks',
    desired: [web2],
    observed: [...running(web), task(web, 7)],
    recorded: [recorded(web)],
    prune: false,
    expect: { [web.id]: { action: 'scale', instances: { remove: [2] }, killTasks: 1 } },
  },
  {
    name: 'no-prune-keeps-duplicates-and-orphans',
    desired: [web],
    observed: [...running(web), task(web, 1, { configHash: 'stale' }), ...running(old)],
    recorded: [recorded(web)],
    prune: false,
    expect: { [web.id]: { action: 'noop', killTasks: 0 } },
  },
  {
    name: 'duplicate-task-for-one-instance-is-killed',
    desired: [web],
    observed: [...running(web), task(web, 1, { configHash: 'stale' })],
    recorded: [recorded(web)],
    expect: { [web.id]: { action: 'orphan', instances: { unchanged: [0, 1, 2] }, killTasks: 1 } },
  },
  {
    name: 'adopts-running-tasks-without-a-record',
    desired: [web],
    observed: running(web),
    recorded: [],
    expect: { [web.id]: { action: 'noop', instances: { unchanged: [0, 1, 2] } } },
  },
  {
    name: 'mass-kill-every-running-job',
    desired: [],
    observed: [...running(web), ...running(api)],
    recorded: [recorded(web), recorded(api)],
    expect: { [web.id]: { action: 'kill' }, [api.id]: { action: 'kill' } },
    massKill: true,
  },
  {
    name: 'mass-kill-half-is-allowed',
    desired: [web],
    observed: [...running(web), ...running(api)],
    recorded: [recorded(web), recorded(api)],
    expect: { [api.id]: { action: 'kill' }, [web.id]: { action: 'noop' } },
    massKill: false,
  },
  {
    name: 'mass-kill-two-of-three',
    desired: [web],
    observed: [...running(web), ...running(api), ...running(old)],
    recorded: [recorded(web), recorded(api), recorded(old)],
    expect: { [api.id]: { action: 'kill' }, [old.id]: { action: 'kill' }, [web.id]: { action: 'noop' } },
    massKill: true,
  },
  {
    name: 'cron-new-job-is-scheduled-nothing-launched',
    desired: [backup],
    observed: [],
    recorded: [],
    expect: {
      [backup.id]: {
        action: 'schedule',
        instances: { add: [], update: [], heal: [], unchanged: [], remove: [] },
        killTasks: 0,
        cron: {
          schedule: DAILY,
          timezone: 'UTC',
          collisionPolicy: 'KILL_EXISTING',
          paused: false,
          nextRuns: DAILY_RUNS,
        },
      },
    },
  },
  {
    name: 'cron-scheduled-job-is-noop-while-runs-come-and-go',
    desired: [backup],
    observed: runsOf(backup),
    recorded: [recorded(backup)],
    expect: {
      [backup.id]: {
        action: 'noop',
        instances: { add: [], heal: [], unchanged: [], remove: [] },
        killTasks: 0,
        deferred: [],
        cron: { nextRuns: DAILY_RUNS },
      },
    },
  },
  {
    name: 'cron-schedule-changed-is-rescheduled',
    desired: [backupHourly],
    observed: runsOf(backup),
    recorded: [recorded(backup)],
    expect: {
      [backup.id]: {
        action: 'reschedule',
        instances: { add: [], update: [], remove: [] },
        killTasks: 0,
        diffPaths: ['cron_schedule'],
        cron: { schedule: '0 * * * *', nextRuns: [14, 15, 16].map((h) => Date.UTC(1970, 0, 12, h)) },
      },
    },
  },
  {
    name: 'cron-task-changed-applies-to-the-next-run-restarting-nothing',
    desired: [backupNewCmd],
    observed: runsOf(backup),
    recorded: [recorded(backup)],
    expect: {
      [backup.id]: {
        action: 'reschedule',
        instances: { add: [], update: [], remove: [] },
        killTasks: 0,
        diffPaths: ['task.processes[0].cmdline'],
      },
    },
  },
  {
    name: 'cron-paused-is-rescheduled-with-no-next-runs',
    desired: [backupPaused],
    observed: runsOf(backup),
    recorded: [recorded(backup)],
    expect: {
      [backup.id]: {
        action: 'reschedule',
        killTasks: 0,
        diffPaths: ['cron_paused'],
        cron: { paused: true, nextRuns: [] },
      },
    },
  },
  {
    name: 'cron-in-a-time-zone-is-scheduled-in-it',
    desired: [backupBerlin],
    observed: [],
    recorded: [],
    expect: {
      [backup.id]: {
        action: 'schedule',
        cron: {
          timezone: 'Europe/Berlin',
          collisionPolicy: 'CANCEL_NEW',
          nextRuns: DAILY_RUNS.map((at) => at - 3_600_000),
        },
      },
    },
  },
  {
    name: 'service-becoming-cron-is-scheduled-and-its-instances-killed',
    desired: [webAsCron],
    observed: running(web),
    recorded: [recorded(web)],
    expect: {
      [web.id]: {
        action: 'schedule',
        instances: { add: [], update: [], heal: [], remove: [0, 1, 2] },
        killTasks: 3,
        diffPaths: ['cron_schedule', 'service'],
        cron: { nextRuns: DAILY_RUNS },
      },
    },
  },
  {
    name: 'service-becoming-cron-kills-its-instances-without-pruning-too',
    desired: [webAsCron],
    observed: [...running(web), task(web, 7)],
    recorded: [recorded(web)],
    prune: false,
    expect: { [web.id]: { action: 'schedule', instances: { remove: [0, 1, 2] }, killTasks: 3 } },
  },
  {
    name: 'cron-becoming-service-is-created-anew-its-runs-left-to-finish',
    desired: [web],
    observed: runsOf(webAsCron),
    recorded: [recorded(webAsCron)],
    expect: {
      [web.id]: {
        action: 'create',
        instances: { add: [0, 1, 2], update: [], heal: [], remove: [] },
        killTasks: 0,
      },
    },
  },
  {
    name: 'cron-dropped-from-the-commit-is-descheduled-its-run-finishes',
    desired: [],
    observed: runsOf(backup),
    recorded: [recorded(backup)],
    expect: {
      [backup.id]: {
        action: 'deschedule',
        instances: { remove: [] },
        killTasks: 0,
        cron: { schedule: DAILY, nextRuns: [] },
      },
    },
    massKill: false,
  },
  {
    name: 'cron-dropped-kills-a-task-no-run-started',
    desired: [],
    observed: [...runsOf(backup), task(backup, 0)],
    recorded: [recorded(backup)],
    expect: { [backup.id]: { action: 'deschedule', instances: { remove: [0] }, killTasks: 1 } },
  },
  {
    name: 'cron-job-kills-a-stray-task-no-run-started',
    desired: [backup],
    observed: [...runsOf(backup), task(backup, 1)],
    recorded: [recorded(backup)],
    expect: { [backup.id]: { action: 'orphan', instances: { remove: [1] }, killTasks: 1 } },
  },
  {
    name: 'cron-job-without-pruning-leaves-a-stray-task',
    desired: [backup],
    observed: [...runsOf(backup), task(backup, 1)],
    recorded: [recorded(backup)],
    prune: false,
    expect: { [backup.id]: { action: 'noop', killTasks: 0 } },
  },
  {
    name: 'cron-runs-are-not-running-jobs-for-the-mass-kill-guard',
    desired: [backup],
    observed: [...running(web), ...runsOf(backup)],
    recorded: [recorded(web), recorded(backup)],
    expect: { [web.id]: { action: 'kill' }, [backup.id]: { action: 'noop' } },
    massKill: true,
  },
  {
    name: 'cron-runs-of-a-job-nothing-declares-are-no-orphans',
    desired: [],
    observed: runsOf(backup),
    recorded: [],
    expect: {},
  },
];

function run(testCase: Case, planner: Planner = plan) {
  const input: PlanInput = {
    commit: 'abc',
    cluster: 'local',
    desired: testCase.desired,
    observed: testCase.observed,
    recorded: testCase.recorded,
    now: NOW,
    retryHeld: testCase.retryHeld,
    prune: testCase.prune,
  };
  return planner(input);
}

describe('plan', () => {
  for (const testCase of CASES) {
    it(testCase.name, () => {
      const result = run(testCase);
      assert.deepEqual(
        result.changes.map((c) => c.job).sort(),
        Object.keys(testCase.expect).sort(),
        'jobs in the plan',
      );
      for (const [job, expected] of Object.entries(testCase.expect)) {
        const change = result.changes.find((c) => c.job === job)!;
        assert.equal(change.action, expected.action, `${job} action`);
        for (const [set, instances] of Object.entries(expected.instances ?? {})) {
          assert.deepEqual(change.instances[set as keyof InstanceSets], instances, `${job} instances.${set}`);
        }
        if (expected.killTasks !== undefined)
          assert.equal(change.killTasks.length, expected.killTasks, `${job} killTasks`);
        if (expected.deferred)
          assert.deepEqual(
            change.deferred.map((d) => d.instance),
            expected.deferred,
            `${job} deferred`,
          );
        if (expected.diffPaths)
          assert.deepEqual(
            change.diff.map((d) => d.path),
            expected.diffPaths,
            `${job} diff`,
          );
        for (const [field, value] of Object.entries(expected.cron ?? {}))
          assert.deepEqual(change.cron?.[field as keyof CronPlan], value, `${job} cron.${field}`);
        const cronAction = ['schedule', 'reschedule', 'deschedule'].includes(expected.action);
        if (cronAction) assert.ok(change.cron, `${job}: a cron action shows the schedule`);
        if (!cronAction && !['noop', 'orphan'].includes(expected.action))
          assert.equal(change.cron, undefined, `${job}: no schedule on a ${expected.action}`);
      }
      if (testCase.massKill !== undefined)
        assert.equal(Boolean(result.massKill), testCase.massKill, 'mass-kill guard');
      for (const pattern of testCase.warnings ?? [])
        assert.ok(
          result.warnings.some((w) => pattern.test(w)),
          `warning ${pattern}`,
        );
    });
  }

  it('leaves cron-run tasks alone: every case plans the same without them', () => {
    let withRuns = 0;
    for (const testCase of CASES) {
      const others = testCase.observed.filter((t) => t.cronRun === undefined);
      if (others.length === testCase.observed.length) continue;
      withRuns++;
      assert.deepEqual(run(testCase), run({ ...testCase, observed: others }), testCase.name);
    }
    assert.ok(withRuns >= 8, `${withRuns} cases with runs`);
  });

  it('is idempotent: planning the applied state again is all noop', () => {
    const result = run({
      name: '',
      desired: [web, api],
      observed: [...running(web), ...running(api)],
      recorded: [recorded(web), recorded(api)],
      expect: {},
    });
    assert.ok(result.changes.every((c) => c.action === 'noop'));
    assert.equal(result.summary.noop, 2);
  });

  it('reports the earliest deferred relaunch as the next wake-up time', () => {
    const result = run({
      name: '',
      desired: [web],
      observed: [task(web, 0), ended(web, 1, 'FAILED', 100), ended(web, 2, 'FAILED', 500)],
      recorded: [recorded(web)],
      expect: {},
    });
    assert.equal(result.nextWakeAt, NOW - 500 + 1_000);
  });

  it('doubles the back-off with each recent failure', () => {
    const failures = [
      ended(web, 2, 'FAILED', 2_500),
      ended(web, 2, 'FAILED', 2_000),
      ended(web, 2, 'FAILED', 1_500),
    ];
    const result = run({
      name: '',
      desired: [web],
      observed: [task(web, 0), task(web, 1), ...failures],
      recorded: [recorded(web)],
      expect: {},
    });
    assert.deepEqual(result.changes[0]!.deferred, [{ instance: 2, retryAt: NOW - 1_500 + 4_000 }]);
  });
});

describe('plan, pure', () => {
  it('leaves its input as it was and hands out a frozen plan, every time', () => {
    for (const testCase of CASES) {
      const before = structuredClone(testCase);
      const result = run(testCase);
      assert.deepEqual(testCase, before, `${testCase.name}: the input is unchanged`);
      assert.deepEqual(run(testCase), result, `${testCase.name}: the same plan again`);
      assert.ok(Object.isFrozen(result) && Object.isFrozen(result.changes), `${testCase.name}: frozen`);
      assert.ok(Object.isFrozen(result.warnings) && Object.isFrozen(result.summary), testCase.name);
      for (const change of result.changes) {
        assert.ok(Object.isFrozen(change) && Object.isFrozen(change.instances), change.job);
        for (const list of [
          ...(Object.values(change.instances) as number[][]),
          change.killTasks,
          change.deferred,
          change.diff,
        ])
          assert.ok(Object.isFrozen(list), change.job);
      }
    }
  });
});

describe('the incremental planner', () => {
  it('plans every table case exactly as the pure plan, the second time round too', () => {
    // One planner across all cases: many share a spec object with different records and tasks.
    const incremental = new IncrementalPlanner();
    for (const round of [1, 2])
      for (const testCase of CASES)
        assert.deepEqual(run(testCase, incremental.plan), run(testCase), `${testCase.name}, round ${round}`);
  });

  const steady = (): Case => ({
    name: '',
    desired: [web, api],
    observed: [...running(web), ...running(api)],
    recorded: [recorded(web), recorded(api)],
    expect: {},
  });

  it('reuses a decision while the spec, record and tasks are the same objects', () => {
    const incremental = new IncrementalPlanner().plan;
    const input = steady();
    const first = run(input, incremental);
    const again = run({ ...input, observed: [...input.observed] }, incremental);
    assert.equal(again.changes[0], first.changes[0], 'the same tasks in a new snapshot');
    assert.throws(() => again.changes[0]!.instances.unchanged.push(9), TypeError, 'frozen');
    const moved = [...input.observed];
    moved[0] = { ...moved[0]!, state: 'LOST' };
    const lost = run({ ...input, observed: moved }, incremental);
    const apiChange = (result: ReturnType<typeof run>) => result.changes.find((c) => c.job === api.id);
    const webChange = (result: ReturnType<typeof run>) => result.changes.find((c) => c.job === web.id);
    assert.notEqual(webChange(lost), webChange(first), 'a changed task is planned again');
    assert.equal(webChange(lost)!.action, 'heal');
    assert.equal(apiChange(lost), apiChange(first), 'the other job is not');
    const rerecorded = run({ ...input, recorded: [recorded(web), recorded(api)] }, incremental);
    assert.notEqual(apiChange(rerecorded), apiChange(first), 'a new record is planned again');
    assert.notEqual(
      run({ ...input, prune: false }, incremental).changes[1],
      first.changes[1],
      'so is another prune',
    );
  });

  it('keeps no decision that read the time: a deferred relaunch becomes due', () => {
    const incremental = new IncrementalPlanner();
    const input: Case = {
      name: '',
      desired: [web],
      observed: [task(web, 0), task(web, 1), ended(web, 2, 'FAILED', 100)],
      recorded: [recorded(web)],
      expect: {},
    };
    assert.deepEqual(
      run(input, incremental.plan).changes[0]!.deferred.map((d) => d.instance),
      [2],
    );
    const later = incremental.plan({
      commit: 'abc',
      cluster: 'local',
      desired: input.desired,
      observed: input.observed,
      recorded: input.recorded,
      now: NOW + 60_000,
    });
    assert.deepEqual(later.changes[0]!.instances.heal, [2]);
  });

  it('groups tasks by job, keeping the array of a job whose tasks are unchanged', () => {
    const grouping = new TaskGrouping();
    const tasks = [...running(web), ...running(api)];
    const first = grouping.group(tasks);
    assert.equal(grouping.group(tasks), first, 'the same snapshot: the same grouping');
    const changed = tasks.map((t) => (t.jobId === api.id && t.instance === 1 ? { ...t, healthy: true } : t));
    const second = grouping.group(changed);
    assert.equal(second.get(web.id), first.get(web.id));
    assert.notEqual(second.get(api.id), first.get(api.id));
    assert.deepEqual(second.get(api.id), changed.slice(3));
  });
});
