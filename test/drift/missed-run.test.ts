import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CronJobState, CronRun } from '../../src/cron/types.js';
import { DEFAULT_DRIFT_POLICY, detectDrift } from '../../src/drift/detect.js';
import { recorded, spec } from '../support/specs.js';

const NOW = Date.UTC(2026, 11, 7, 12, 30);
const backup = spec({ name: 'backup', cron_schedule: '0 * * * *' });
const at = (hour: number) => Date.UTC(2026, 11, 7, hour);

const missed = (from: number, to: number, count: number): CronRun => ({
  id: `missed-${from}`,
  trigger: 'schedule',
  scheduledAt: from,
  outcome: 'missed',
  instances: [],
  missed: { count, latest: to },
});
const started = (hour: number): CronRun => ({
  id: `schedule-${hour}`,
  trigger: 'schedule',
  scheduledAt: at(hour),
  startedAt: at(hour) + 1_000,
  outcome: 'succeeded',
  instances: [],
});

function detect(runs: CronRun[]) {
  const state: CronJobState = {
    format: 1,
    jobId: backup.id,
    lastTick: at(12),
    schedule: '0 * * * *',
    timezone: 'UTC',
    runs,
  };
  return detectDrift({
    desired: [backup],
    recorded: [recorded(backup)],
    rollouts: [],
    observed: [],
    now: NOW,
    policy: DEFAULT_DRIFT_POLICY,
    cron: [state],
  }).present.filter((drift) => drift.kind === 'missed_run');
}

describe('missed_run drift', () => {
  const cases: { name: string; runs: CronRun[]; open: boolean }[] = [
    { name: 'no runs yet: nothing missed', runs: [], open: false },
    {
      name: 'ticks missed and no run since: one drift',
      runs: [started(2), missed(at(3), at(11), 9)],
      open: true,
    },
    {
      name: 'a run started after the missed ticks: over',
      runs: [missed(at(3), at(11), 9), started(12)],
      open: false,
    },
    { name: 'only runs: nothing missed', runs: [started(11), started(12)], open: false },
  ];
  for (const { name, runs, open } of cases) {
    it(name, () => assert.equal(detect(runs).length, open ? 1 : 0));
  }

  it('is one drift per job with the count and the window, since the first missed tick', () => {
    const [drift] = detect([missed(at(3), at(11), 9)]);
    assert.equal(drift!.id, `missed_run:${backup.id}`);
    assert.equal(drift!.since, at(3));
    assert.match(
      drift!.detail,
      /9 scheduled runs were missed \(2026-12-07T03:00:00.000Z to 2026-12-07T11:00:00.000Z\)/,
    );
  });
});
