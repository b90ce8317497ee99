import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ObservedTask } from '../../src/cluster/types.js';
import { newRollout } from '../../src/deploy/new-rollout.js';
import type { RolloutState } from '../../src/deploy/rollout.js';
import { DEFAULT_DRIFT_POLICY, detectDrift, type DriftInput } from '../../src/drift/detect.js';
import { plan } from '../../src/plan/planner.js';
import type { JobSpec } from '../../src/jobspec/types.js';
import { recorded, running, spec, task } from '../support/specs.js';

const NOW = 2_000_000_000;
const policy = {
  ...DEFAULT_DRIFT_POLICY,
  settleMs: 10_000,
  flapThreshold: 3,
  flapWindowMs: 600_000,
  stuckAfterMs: 900_000,
};
const web = spec({ name: 'web', instances: 2, service: true });
const webV2 = spec({ name: 'web', instances: 2, service: true, env: { V: '2' } });
const batch = spec({ name: 'batch', instances: 1 });
const backup = spec({ name: 'backup', instances: 2, cron_schedule: '* * * * *' });
/** A cron run of `job`: each instance, ended `msAgo` in `state` (or running). */
const run = (job: JobSpec, id: string, state: ObservedTask['state'], msAgo: number) =>
  running(job, job.config.instances, {
    cronRun: id,
    state,
    updatedAt: NOW - msAgo,
    launchedAt: NOW - msAgo - 1_000,
  });
/** Five runs a minute apart that failed, one that finished, one going: none of it drift. */
const runsOf = (job: JobSpec) => [
  ...[1, 2, 3, 4, 5].flatMap((minutes) => run(job, `r-${minutes}`, 'FAILED', minutes * 60_000)),
  ...run(job, 'r-6', 'FINISHED', 6 * 60_000),
  ...run(job, 'r-0', 'RUNNING', 500),
];

/** Every instance RUNNING for long enough to have settled. */
const settled = (job: JobSpec) => running(job).map((t) => ({ ...t, updatedAt: NOW - 60_000 }));
const ended = (
  job: JobSpec,
  instance: number,
  state: ObservedTask['state'],
  msAgo: number,
  configHash = job.configHash,
) => task(job, instance, { state, updatedAt: NOW - msAgo, launchedAt: NOW - msAgo - 1_000, configHash });
const without = (tasks: ObservedTask[], instance: number) => tasks.filter((t) => t.instance !== instance);
/** A task Borealis killed itself (an update, a scale-down, `local down`). */
const stopped = (job: JobSpec, instance: number, msAgo: number, configHash = job.configHash) => ({
  ...ended(job, instance, 'KILLED', msAgo, configHash),
  killRequested: true,
});

function rolloutOf(from: JobSpec, to: JobSpec, progressedMsAgo: number): RolloutState {
  const change = plan({
    commit: 'c2',
    cluster: 'local',
    desired: [to],
    observed: running(from),
    recorded: [recorded(from)],
    now: NOW,
  }).changes[0]!;
  const state = newRollout(change, to, recorded(from), 'c2', NOW - progressedMsAgo);
  return { ...state, status: 'ROLLING_FORWARD' };
}

interface Case {
  name: string;
  input: Partial<DriftInput>;
  present: string[];
  pending?: string[];
  detail?: RegExp;
}

const CASES: Case[] = [
  { name: 'converged', input: { observed: settled(web) }, present: [], pending: [] },
  {
    name: 'missing-instance-whose-task-ended',
    input: { observed: [...without(settled(web), 1), ended(web, 1, 'KILLED', 2_000)] },
    present: ['missing:local/www-data/prod/web/1'],
    detail: /instance 1 is not running; its last task ended KILLED/,
  },
  {
    name: 'a-relaunched-instance-still-starting-is-pending',
    input: {
      observed: [
        ...without(settled(web), 1),
        ended(web, 1, 'KILLED', 2_000),
        task(web, 1, { state: 'STARTING', updatedAt: NOW - 500 }),
      ],
    },
    present: [],
    pending: ['missing:local/www-data/prod/web/1', 'flapping:local/www-data/prod/web/1'],
  },
  {
    name: 'running-but-not-yet-settled-is-pending',
    input: {
      observed: [...without(settled(web), 0), task(web, 0, { state: 'RUNNING', updatedAt: NOW - 3_000 })],
    },
    present: [],
    pending: ['missing:local/www-data/prod/web/0', 'flapping:local/www-data/prod/web/0'],
  },
  {
    name: 'a-finished-batch-instance-is-not-missing',
    input: { desired: [batch], observed: [ended(batch, 0, 'FINISHED', 5_000)] },
    present: [],
    pending: [],
  },
  {
    name: 'a-failed-batch-instance-is-missing',
    input: { desired: [batch], observed: [ended(batch, 0, 'FAILED', 5_000)] },
    present: ['missing:local/www-data/prod/batch/0'],
  },
  {
    name: 'four-ends-in-the-window-is-flapping',
    input: {
      observed: [
        ...without(settled(web), 0),
        ...[5_000, 10_000, 20_000, 40_000].map((ago) => ended(web, 0, 'FAILED', ago)),
        task(web, 0, { state: 'STARTING', updatedAt: NOW - 100 }),
      ],
    },
    present: ['flapping:local/www-data/prod/web/0'],
    pending: ['missing:local/www-data/prod/web/0'],
    detail: /instance 0 ended 4 times in the last 10 min \(last: FAILED\)/,
  },
  {
    name: 'tasks-borealis-killed-never-count-toward-flapping',
    input: {
      observed: [
        ...settled(web),
        ...[5_000, 10_000, 20_000, 40_000, 80_000, 160_000, 320_000].map((ago) =>
          stopped(web, 0, ago, 'old'),
        ),
      ],
    },
    present: [],
    pending: [],
  },
  {
    name: 'crashes-still-count-beside-kills-borealis-made',
    input: {
      observed: [
        ...without(settled(web), 0),
        ...[5_000, 10_000, 20_000, 40_000].map((ago) => ended(web, 0, 'FAILED', ago)),
        ...[50_000, 60_000].map((ago) => stopped(web, 0, ago, 'old')),
        task(web, 0, { state: 'STARTING', updatedAt: NOW - 100 }),
      ],
    },
    present: ['flapping:local/www-data/prod/web/0'],
    pending: ['missing:local/www-data/prod/web/0'],
    detail: /instance 0 ended 4 times/,
  },
  {
    name: 'an-instance-borealis-stopped-waits-the-settle-time-to-be-relaunched',
    input: { observed: [...without(settled(web), 1), stopped(web, 1, 2_000)] },
    present: [],
    pending: ['missing:local/www-data/prod/web/1', 'flapping:local/www-data/prod/web/1'],
  },
  {
    name: 'an-instance-borealis-stopped-and-never-relaunched-is-missing',
    input: { observed: [...without(settled(web), 1), stopped(web, 1, 20_000)] },
    present: ['missing:local/www-data/prod/web/1'],
    detail: /instance 1 is not running; Borealis stopped its last task and it has not been relaunched/,
  },
  {
    name: 'stopped-before-the-daemon-watched-counts-from-when-it-started',
    input: {
      observed: [...without(settled(web), 1), stopped(web, 1, 3_600_000)],
      watchingSince: NOW - 1_000,
    },
    present: [],
    pending: ['missing:local/www-data/prod/web/1', 'flapping:local/www-data/prod/web/1'],
  },
  {
    name: 'ends-older-than-the-window-do-not-count',
    input: {
      observed: [
        ...settled(web),
        ...[700_000, 800_000, 900_000, 950_000].map((ago) => ended(web, 0, 'FAILED', ago)),
      ],
    },
    present: [],
    pending: [],
  },
  {
    name: 'an-instance-on-another-configuration',
    input: { desired: [webV2], observed: settled(web) },
    present: ['config:local/www-data/prod/web'],
    detail: /instances 0, 1 run configuration \w+, the applied commit asks for \w+$/,
  },
  {
    name: 'config-drift-of-a-held-update-says-so',
    input: {
      desired: [webV2],
      observed: settled(web),
      recorded: [
        {
          ...recorded(web),
          held: { configHash: webV2.configHash, commit: 'c2', outcome: 'rolled_back', at: NOW - 1 },
        },
      ],
    },
    present: ['config:local/www-data/prod/web'],
    detail: /the update was rolled back and is held/,
  },
  {
    name: 'a-task-on-an-instance-the-job-does-not-have',
    input: { observed: [...settled(web), task(web, 5)] },
    present: ['unexpected:local/www-data/prod/web/5'],
    detail: /runs instance 5 of a job of 2/,
  },
  {
    name: 'a-second-live-task-of-an-instance',
    input: { observed: [...settled(web), task(web, 0, { launchedAt: NOW - 1_000 })] },
    present: ['unexpected:local/www-data/prod/web/0'],
    detail: /is a second live task of instance 0/,
  },
  {
    name: 'a-task-of-a-job-nothing-declares',
    input: { observed: [...settled(web), task('local/www-data/prod/ghost', 0)] },
    present: ['unexpected:local/www-data/prod/ghost/0'],
    detail: /which the applied commit does not declare/,
  },
  {
    name: 'an-update-in-flight-is-neither-missing-nor-config',
    input: {
      desired: [webV2],
      observed: without(settled(web), 0),
      rollouts: [rolloutOf(web, webV2, 60_000)],
    },
    present: [],
    pending: ['stuck:local/www-data/prod/web'],
  },
  {
    name: 'an-update-quiet-past-the-deadline-is-stuck',
    input: { desired: [webV2], observed: settled(web), rollouts: [rolloutOf(web, webV2, 1_000_000)] },
    present: ['stuck:local/www-data/prod/web'],
    detail: /has moved no instance along for 17 min/,
  },
  {
    name: 'cron-runs-ending-are-neither-missing-nor-flapping',
    input: {
      desired: [web, backup],
      recorded: [recorded(web), recorded(backup)],
      observed: [...settled(web), ...runsOf(backup)],
    },
    present: [],
    pending: [],
  },
  {
    name: 'a-cron-job-between-runs-misses-nothing',
    input: { desired: [backup], recorded: [recorded(backup)], observed: [] },
    present: [],
    pending: [],
  },
  {
    name: 'runs-of-a-service-job-that-was-cron-are-not-its-instances',
    input: {
      observed: [...settled(web), ...run(web, 'r-1', 'RUNNING', 60_000), ...run(web, 'r-2', 'FAILED', 1_000)],
    },
    present: [],
    pending: [],
  },
  {
    name: 'a-run-finishing-after-its-job-was-descheduled-is-not-unexpected',
    input: { observed: [...settled(web), ...runsOf(backup)] },
    present: [],
    pending: [],
  },
  {
    name: 'a-live-task-of-a-cron-job-no-run-started-is-unexpected',
    input: {
      desired: [backup],
      recorded: [recorded(backup)],
      observed: [...runsOf(backup), task(backup, 1)],
    },
    present: ['unexpected:local/www-data/prod/backup/1'],
    detail: /runs cron job local\/www-data\/prod\/backup outside any run/,
  },
  {
    name: 'a-head-not-applied-is-out-of-sync',
    input: {
      observed: settled(web),
      waiting: { commit: 'abcdef1234567890', detail: 'waits for borealis reconcile', since: NOW - 5 },
    },
    present: ['out-of-sync:abcdef1234567890'],
  },
  {
    name: 'nothing-applied-yet-only-out-of-sync',
    input: {
      desired: undefined,
      observed: [task(web, 9)],
      waiting: { commit: 'c1', detail: 'rejected', since: NOW },
    },
    present: ['out-of-sync:c1'],
    pending: [],
  },
];

describe('detectDrift', () => {
  for (const testCase of CASES) {
    it(testCase.name, () => {
      const input: DriftInput = {
        desired: [web],
        recorded: [recorded(web)],
        rollouts: [],
        observed: [],
        now: NOW,
        policy,
        ...testCase.input,
      };
      const detection = detectDrift(input);
      assert.deepEqual(detection.present.map((d) => d.id).sort(), [...testCase.present].sort(), 'present');
      if (testCase.pending)
        assert.deepEqual([...detection.pending].sort(), [...testCase.pending].sort(), 'pending');
      if (testCase.detail) assert.match(detection.present.map((d) => d.detail).join('\n'), testCase.detail);
    });
  }

  it('says when a pending instance can be decided: when its task will have settled', () => {
    const observed = [
      ...without(settled(web), 0),
      task(web, 0, { state: 'RUNNING', updatedAt: NOW - 3_000 }),
    ];
    const detection = detectDrift({ desired: [web], recorded: [], rollouts: [], observed, now: NOW, policy });
    assert.equal(detection.recheckAt, NOW - 3_000 + policy.settleMs);
  });

  it('says when an instance Borealis stopped is due back: the settle time after it stopped', () => {
    const observed = [...without(settled(web), 1), stopped(web, 1, 2_000)];
    const detection = detectDrift({ desired: [web], recorded: [], rollouts: [], observed, now: NOW, policy });
    assert.equal(detection.recheckAt, NOW - 2_000 + policy.settleMs);
  });
});
