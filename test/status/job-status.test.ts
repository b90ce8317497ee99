/**
 * What `status` says about a job, state by state, transitional ones included: sync and
 * health, the instance counts, and the drift lines still true of what runs.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ObservedTask } from '../../src/cluster/types.js';
import { CRON_RECORD_FORMAT, type CronJobState, type CronRun } from '../../src/cron/types.js';
import { newRollout } from '../../src/deploy/new-rollout.js';
import type { RolloutState } from '../../src/deploy/rollout.js';
import type { OpenDrift } from '../../src/drift/transitions.js';
import { plan } from '../../src/plan/planner.js';
import type { RecordedJob } from '../../src/plan/types.js';
import type { JobSpec } from '../../src/jobspec/types.js';
import {
  jobStatus,
  jobStatuses,
  type HealthStatus,
  type JobFacts,
  type SyncStatus,
} from '../../src/status/job-status.js';
import { recorded, running, spec, task } from '../support/specs.js';

const NOW = 1_000_000_000;
const process = (cmdline: string) => ({
  processes: [{ name: 'main', cmdline }],
  resources: { cpu: 0.1, ram: '16MiB', disk: '16MiB' },
});
const web = spec({ name: 'web', instances: 2, service: true, task: process('sleep 1000') });
const webV2 = spec({ name: 'web', instances: 2, service: true, task: process('sleep 2000') });
const web3 = spec({ name: 'web', instances: 3, service: true, task: process('sleep 1000') });
const batch = spec({ name: 'web', instances: 2, task: process('true') });

/** The rollout the deployer starts for a change from `from` (undefined: a create) to `to`. */
function rolloutOf(
  from: JobSpec | undefined,
  to: JobSpec,
  status: RolloutState['status'] = 'ROLLING_FORWARD',
): RolloutState {
  const records = from ? [recorded(from)] : [];
  const change = plan({
    commit: 'c2',
    cluster: 'local',
    desired: [to],
    observed: from ? running(from) : [],
    recorded: records,
    now: NOW,
  }).changes[0]!;
  return { ...newRollout(change, to, records[0], 'c2', NOW - 5_000), status };
}

const heldRecord = (job: JobSpec = web): RecordedJob => ({
  ...recorded(job),
  held: { configHash: webV2.configHash, commit: 'c2', outcome: 'rolled_back', at: NOW - 60_000 },
});
const drift = (kind: OpenDrift['kind'], instance?: number): OpenDrift => ({
  id: `${kind}:${web.id}${instance === undefined ? '' : `/${instance}`}`,
  kind,
  job: web.id,
  ...(instance === undefined ? {} : { instance }),
  detail: `${kind} drift`,
  since: NOW - 10_000,
  openedAt: NOW - 10_000,
  notifiedAt: NOW - 10_000,
});
const killed = (job: JobSpec, instance: number): ObservedTask =>
  task(job, instance, { state: 'KILLED', healthy: true, updatedAt: NOW - 1_000 });

interface Case {
  name: string;
  facts: Partial<JobFacts>;
  sync: SyncStatus;
  health: HealthStatus;
  /** [running, desired] */
  counts: [number, number];
  detail?: RegExp;
  drift?: string[];
}

const CASES: Case[] = [
  {
    name: 'every instance runs the applied configuration, healthy',
    facts: { record: recorded(web), tasks: running(web, 2, { healthy: true }) },
    sync: 'synced',
    health: 'healthy',
    counts: [2, 2],
  },
  {
    name: 'a job being created on the first deploy, before any task',
    facts: { rollout: rolloutOf(undefined, web) },
    sync: 'out_of_sync',
    health: 'progressing',
    counts: [0, 2],
    detail: /rolling out \w+ from commit c2 \(0 of 2 instances\)/,
  },
  {
    name: 'a job being created on the first deploy, one instance starting',
    facts: { rollout: rolloutOf(undefined, web), tasks: [task(web, 0, { state: 'STARTING' })] },
    sync: 'out_of_sync',
    health: 'progressing',
    counts: [0, 2],
  },
  {
    name: 'every instance killed by local down',
    facts: { record: recorded(web), tasks: [killed(web, 0), killed(web, 1)] },
    sync: 'out_of_sync',
    health: 'missing',
    counts: [0, 2],
    detail: /instances 0-1 are not running/,
  },
  {
    name: 'one instance lost, its missing drift open',
    facts: { record: recorded(web), tasks: [task(web, 1), killed(web, 0)], drift: [drift('missing', 0)] },
    sync: 'out_of_sync',
    health: 'degraded',
    counts: [1, 2],
    detail: /instance 0 is not running/,
    drift: ['missing'],
  },
  {
    name: 'an instance relaunched since its missing drift opened: the drift is not shown',
    facts: { record: recorded(web), tasks: [killed(web, 0), ...running(web)], drift: [drift('missing', 0)] },
    sync: 'synced',
    health: 'healthy',
    counts: [2, 2],
    drift: [],
  },
  {
    name: 'a held update: running the previous configuration',
    facts: { record: heldRecord(), tasks: running(web), drift: [drift('config')] },
    sync: 'held',
    health: 'healthy',
    counts: [2, 2],
    detail: /the update to \w+ from commit c2 failed and was rolled back; the job keeps configuration \w+/,
    drift: ['config'],
  },
  {
    name: 'a held job scaling with its recorded configuration',
    facts: { record: heldRecord(), tasks: running(web), rollout: rolloutOf(web, web3) },
    sync: 'held',
    health: 'progressing',
    counts: [2, 3],
  },
  {
    name: 'a rolling update half way',
    facts: { record: recorded(web), tasks: [task(webV2, 0), task(web, 1)], rollout: rolloutOf(web, webV2) },
    sync: 'out_of_sync',
    health: 'progressing',
    counts: [2, 2],
  },
  {
    name: 'a rolling update rolling back',
    facts: {
      record: recorded(web),
      tasks: [task(web, 0), task(webV2, 1, { state: 'FAILED' })],
      rollout: {
        ...rolloutOf(web, webV2, 'ROLLING_BACK'),
        target: { configHash: web.configHash, config: web.instance },
      },
    },
    sync: 'out_of_sync',
    health: 'progressing',
    counts: [1, 2],
    detail: /rolling back to \w+ after the update from commit c2 failed/,
  },
  {
    name: 'a finished rollout left behind is not an update in flight',
    facts: { record: recorded(web), tasks: running(web), rollout: rolloutOf(web, web, 'ROLLED_FORWARD') },
    sync: 'synced',
    health: 'healthy',
    counts: [2, 2],
  },
  {
    name: 'tasks nothing declares: orphans',
    facts: { tasks: running(web) },
    sync: 'out_of_sync',
    health: 'healthy',
    counts: [0, 0],
    detail: /orphans/,
  },
  {
    name: 'a batch job whose instances finished',
    facts: { record: recorded(batch), tasks: running(batch, 2, { state: 'FINISHED' }) },
    sync: 'synced',
    health: 'healthy',
    counts: [0, 2],
  },
  {
    name: 'a service job whose instances finished: missing',
    facts: { record: recorded(web), tasks: running(web, 2, { state: 'FINISHED' }) },
    sync: 'out_of_sync',
    health: 'missing',
    counts: [0, 2],
  },
  {
    name: 'an instance failing its health check',
    facts: {
      record: recorded(web),
      tasks: [task(web, 0, { healthy: false }), task(web, 1, { healthy: true })],
    },
    sync: 'synced',
    health: 'degraded',
    counts: [2, 2],
    detail: /instance 0 fails its health check/,
  },
  {
    name: 'an instance relaunched, still starting',
    facts: { record: recorded(web), tasks: [task(web, 0, { state: 'STARTING' }), task(web, 1)] },
    sync: 'synced',
    health: 'progressing',
    counts: [1, 2],
  },
  {
    name: 'a task beyond the declared instances',
    facts: { record: recorded(web), tasks: [...running(web), task(web, 2)] },
    sync: 'out_of_sync',
    health: 'healthy',
    counts: [2, 2],
    detail: /instance 2 runs beyond the 2 declared/,
  },
  {
    name: 'an instance running another configuration, no update in flight',
    facts: { record: recorded(web), tasks: [task(web, 0), task(webV2, 1)] },
    sync: 'out_of_sync',
    health: 'healthy',
    counts: [2, 2],
    detail: /instance 1 runs another configuration than/,
  },
];

describe('job status: sync and health', () => {
  for (const testCase of CASES) {
    it(testCase.name, () => {
      const facts: JobFacts = {
        id: web.id,
        record: undefined,
        tasks: [],
        rollout: undefined,
        drift: [],
        ...testCase.facts,
      };
      const status = jobStatus(facts, NOW);
      assert.equal(status.sync, testCase.sync, `sync: ${status.sync_detail}`);
      assert.equal(status.health, testCase.health, `health: ${status.health_detail}`);
      assert.deepEqual(
        [status.instances_running, status.instances_desired],
        testCase.counts,
        'running/desired',
      );
      if (testCase.detail) assert.match(`${status.sync_detail} | ${status.health_detail}`, testCase.detail);
      if (testCase.drift)
        assert.deepEqual(
          (status.drift ?? []).map((d) => d.kind),
          testCase.drift,
        );
    });
  }

  it('says nothing of the health of an ended task, and times are ISO 8601', () => {
    const status = jobStatus(
      {
        id: web.id,
        record: heldRecord(),
        tasks: [killed(web, 0), task(web, 1, { healthy: true, updatedAt: NOW - 90_000 })],
        rollout: undefined,
        drift: [],
      },
      NOW,
    );
    assert.equal(status.instances[0]!.healthy, undefined);
    assert.equal(status.instances[0]!.uptime_secs, undefined);
    assert.equal(status.instances[1]!.healthy, true);
    assert.equal(status.instances[1]!.uptime_secs, 90);
    assert.equal(status.instances[1]!.updated_at, new Date(NOW - 90_000).toISOString());
    assert.equal(status.held?.at, new Date(NOW - 60_000).toISOString());
  });

  it('lists a job that only a saved rollout knows', () => {
    const statuses = jobStatuses([], [], [rolloutOf(undefined, web)], NOW);
    assert.deepEqual(
      statuses.map((s) => [s.job, s.sync, s.health, s.update?.instances_total]),
      [[web.id, 'out_of_sync', 'progressing', 2]],
    );
  });
});

describe('status of a cron job', () => {
  const MINUTE = 60_000;
  const backup = spec({
    name: 'backup',
    instances: 2,
    cron_schedule: '*/5 * * * *',
    cron_collision_policy: 'CANCEL_NEW',
    task: process('backup'),
  });
  const cronRecord = (fields: Partial<RecordedJob['config']> = {}): RecordedJob => {
    const base = recorded(backup);
    return { ...base, config: { ...base.config, cron_paused: false, ...fields } };
  };
  const runAt = (
    minutesAgo: number,
    outcome: CronRun['outcome'],
    fields: Partial<CronRun> = {},
  ): CronRun => ({
    id: `schedule-${minutesAgo}`,
    trigger: 'schedule',
    scheduledAt: NOW - minutesAgo * MINUTE,
    ...(outcome === 'skipped' || outcome === 'missed'
      ? {}
      : { startedAt: NOW - minutesAgo * MINUTE + 1_000 }),
    ...(outcome === 'running' || outcome === 'skipped' || outcome === 'missed'
      ? {}
      : { endedAt: NOW - minutesAgo * MINUTE + 31_000 }),
    outcome,
    instances: [],
    ...fields,
  });
  /** The scheduler's record with `runs`, oldest first as it keeps them. */
  const cronState = (...runs: CronRun[]): CronJobState => ({
    format: CRON_RECORD_FORMAT,
    jobId: backup.id,
    lastTick: runs.at(-1)?.scheduledAt ?? 0,
    schedule: '*/5 * * * *',
    timezone: 'UTC',
    runs,
  });
  const runTask = (instance: number, run: string, fields: Partial<ObservedTask> = {}) =>
    task(backup, instance, { cronRun: run, ...fields });
  const statusOf = (facts: Partial<JobFacts>) =>
    jobStatus({ id: backup.id, record: undefined, tasks: [], rollout: undefined, drift: [], ...facts }, NOW);

  interface CronCase {
    name: string;
    facts: Partial<JobFacts>;
    sync: SyncStatus;
    health: HealthStatus;
    detail: RegExp;
  }
  const CRON_CASES: CronCase[] = [
    {
      name: 'scheduled, no run yet: nothing runs, and that is in sync and healthy',
      facts: { record: cronRecord({ cron_paused: true }) },
      sync: 'synced',
      health: 'healthy',
      detail: /scheduled with configuration \w+ \| no run has ended yet/,
    },
    {
      name: 'the last run succeeded, and between runs its tasks are gone',
      facts: { record: cronRecord({ cron_paused: true }), cron: cronState(runAt(10, 'succeeded')) },
      sync: 'synced',
      health: 'healthy',
      detail: /the last run, schedule-10, succeeded/,
    },
    {
      name: 'the last run failed: degraded, whatever ticks were skipped or missed since',
      facts: {
        record: cronRecord({ cron_paused: true }),
        cron: cronState(
          runAt(20, 'succeeded'),
          runAt(15, 'failed', { detail: 'instance 1 failed 1 time(s)' }),
          runAt(10, 'skipped'),
          runAt(5, 'missed', { missed: { count: 2, latest: NOW } }),
        ),
      },
      sync: 'synced',
      health: 'degraded',
      detail: /the last run, schedule-15, failed: instance 1 failed 1 time\(s\)/,
    },
    {
      name: 'the last run was killed by the next tick',
      facts: { record: cronRecord({ cron_paused: true }), cron: cronState(runAt(10, 'killed')) },
      sync: 'synced',
      health: 'degraded',
      detail: /the last run, schedule-10, was killed/,
    },
    {
      name: 'a run going now, one instance finished, one failed once and relaunched: in sync, healthy',
      facts: {
        record: cronRecord({ cron_paused: true }),
        cron: cronState(runAt(10, 'succeeded'), runAt(0, 'running')),
        tasks: [
          runTask(0, 'schedule-0', { state: 'FINISHED' }),
          runTask(1, 'schedule-0', { state: 'FAILED', launchedAt: NOW - 3_000 }),
          runTask(1, 'schedule-0', { state: 'RUNNING', launchedAt: NOW - 1_000 }),
        ],
      },
      sync: 'synced',
      health: 'healthy',
      detail: /scheduled with configuration/,
    },
    {
      name: 'a task of the job outside any run (left from before it was a cron job)',
      facts: { record: cronRecord({ cron_paused: true }), tasks: [task(backup, 0)] },
      sync: 'out_of_sync',
      health: 'healthy',
      detail: /instance 0 runs outside a cron run/,
    },
    {
      name: 'descheduled, its last run left to finish',
      facts: { cron: cronState(runAt(0, 'running')), tasks: [runTask(0, 'schedule-0')] },
      sync: 'out_of_sync',
      health: 'healthy',
      detail: /descheduled: no applied commit declares this job; its run is left to finish/,
    },
  ];
  for (const testCase of CRON_CASES) {
    it(testCase.name, () => {
      const status = statusOf(testCase.facts);
      assert.deepEqual([status.sync, status.health], [testCase.sync, testCase.health], status.health_detail);
      assert.match(`${status.sync_detail} | ${status.health_detail}`, testCase.detail);
      assert.ok(
        status.instances.every((instance) => instance.state !== 'MISSING'),
        'no MISSING row between runs',
      );
    });
  }

  it('shows the schedule, the run going and the last five runs newest first, with durations', () => {
    const history = [6, 5, 4, 3, 2, 1].map((age) => runAt(age * 5 + 5, 'succeeded'));
    const status = statusOf({
      record: cronRecord({ cron_paused: true, cron_timezone: 'Europe/Berlin' }),
      cron: cronState(...history, runAt(0, 'running', { trigger: 'manual', id: 'manual-1' })),
      tasks: [runTask(1, 'manual-1', { state: 'RUNNING' })],
    });
    const cron = status.cron!;
    assert.deepEqual(
      [cron.schedule, cron.timezone, cron.collision_policy, cron.paused, cron.scheduled, cron.next_run_at],
      ['*/5 * * * *', 'Europe/Berlin', 'CANCEL_NEW', true, true, null],
    );
    assert.equal(cron.running, 'manual-1');
    assert.equal(cron.last_success_at, new Date(NOW - 10 * MINUTE + 31_000).toISOString());
    assert.deepEqual(
      cron.last_runs.map((run) => [run.id, run.outcome]),
      [
        ['manual-1', 'running'],
        ['schedule-10', 'succeeded'],
        ['schedule-15', 'succeeded'],
        ['schedule-20', 'succeeded'],
        ['schedule-25', 'succeeded'],
      ],
    );
    assert.deepEqual(cron.last_runs[0], {
      id: 'manual-1',
      trigger: 'manual',
      outcome: 'running',
      scheduled_at: new Date(NOW).toISOString(),
      started_at: new Date(NOW + 1_000).toISOString(),
      duration_secs: 0,
    });
    assert.equal(cron.last_runs[1]!.duration_secs, 30);
    assert.deepEqual(
      status.instances.map((instance) => [instance.instance, instance.state, instance.cron_run]),
      [[1, 'RUNNING', 'manual-1']],
    );
  });

  it('gives the next run from the schedule unless paused or descheduled', () => {
    const at = Date.UTC(2026, 11, 8, 1, 2, 30);
    const next = (facts: Partial<JobFacts>) =>
      jobStatus({ id: backup.id, record: undefined, tasks: [], rollout: undefined, drift: [], ...facts }, at)
        .cron?.next_run_at;
    assert.equal(next({ record: cronRecord() }), '2026-12-08T01:05:00.000Z');
    assert.equal(next({ record: cronRecord({ cron_paused: true }) }), null);
    assert.equal(next({ cron: cronState(runAt(0, 'running')), tasks: [runTask(0, 'schedule-0')] }), null);
  });

  it('leaves a run’s tasks out of a job that is no longer a cron job', () => {
    const service = recorded(web);
    const status = jobStatus(
      {
        id: web.id,
        record: service,
        tasks: [...running(web), task(web, 2, { cronRun: 'schedule-0' })],
        rollout: undefined,
        drift: [],
        cron: { ...cronState(runAt(0, 'running')), jobId: web.id },
      },
      NOW,
    );
    assert.deepEqual([status.sync, status.health, status.instances.length], ['synced', 'healthy', 2]);
    assert.equal(status.cron, undefined);
  });
});
