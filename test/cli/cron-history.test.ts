/** `borealis cron history JOB`: a cron job's recorded runs, newest first, in text and JSON. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CronRecords } from '../../src/cron/records.js';
import { CRON_RECORD_FORMAT, type CronJobState, type CronRun } from '../../src/cron/types.js';
import { DeployEnv } from '../support/deploy-env.js';
import { sleeperJob } from '../support/jobs.js';
import { assertMatchesSchema } from '../support/json-schemas.js';

const BACKUP = 'local/www-data/prod/backup';
const AT = Date.UTC(2026, 11, 8, 1, 0);
const MINUTE = 60_000;

const RUNS: CronRun[] = [
  {
    id: 'schedule-20261208T0100Z',
    trigger: 'schedule',
    scheduledAt: AT,
    startedAt: AT + 1_000,
    endedAt: AT + 61_000,
    outcome: 'succeeded',
    instances: [{ instance: 0, taskId: 'www-data-prod-backup-0-a', failures: 0, ended: 'FINISHED' }],
  },
  {
    id: 'schedule-20261208T0105Z',
    trigger: 'schedule',
    scheduledAt: AT + 5 * MINUTE,
    outcome: 'skipped',
    detail: 'run manual-20261208T0104Z-1 was still going (CANCEL_NEW)',
    instances: [],
  },
  {
    id: 'schedule-20261208T0110Z',
    trigger: 'schedule',
    scheduledAt: AT + 10 * MINUTE,
    startedAt: AT + 10 * MINUTE,
    endedAt: AT + 10 * MINUTE + 5_000,
    outcome: 'failed',
    detail: 'instance 0 failed 1 time(s)',
    instances: [{ instance: 0, taskId: 'www-data-prod-backup-0-b', failures: 1, ended: 'FAILED' }],
  },
];

describe('borealis cron history', () => {
  let env: DeployEnv;
  before(async () => {
    env = new DeployEnv();
    env.commitJobs('backup', [
      sleeperJob('backup', { service: false, instances: 1, cron_schedule: '*/5 * * * *' }, 'true'),
    ]);
    assert.equal((await env.cli('reconcile')).code, 0);
  });
  after(() => env.cleanup());

  it('says so when a cron job has no runs yet, and refuses a job that is none', async () => {
    const none = await env.cli('cron', 'history', 'www-data/prod/backup');
    assert.deepEqual([none.code, none.stdout], [0, 'No runs recorded yet.\n'], none.stderr);
    const unknown = await env.cli('cron', 'history', 'www-data/prod/web');
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /UNKNOWN_JOB: no cron job local\/www-data\/prod\/web is recorded/);
  });

  it('lists the runs newest first, in text and JSON, as many as asked', async () => {
    const store = await env.openStore();
    const state: CronJobState = {
      format: CRON_RECORD_FORMAT,
      jobId: BACKUP,
      lastTick: AT + 10 * MINUTE,
      schedule: '*/5 * * * *',
      timezone: 'UTC',
      runs: RUNS,
    };
    await new CronRecords(store).put(state, null).finally(() => store.close());

    const text = await env.cli('cron', 'history', BACKUP);
    assert.equal(text.code, 0, text.stderr);
    assert.deepEqual(text.stdout.trimEnd().split('\n'), [
      'schedule-20261208T0110Z    schedule  2026-12-08T01:10:00.000Z  failed     5s  instance 0 failed 1 time(s)',
      'schedule-20261208T0105Z    schedule  2026-12-08T01:05:00.000Z  skipped    run manual-20261208T0104Z-1 was still going (CANCEL_NEW)',
      'schedule-20261208T0100Z    schedule  2026-12-08T01:00:00.000Z  succeeded  1m0s',
    ]);

    const json = await env.cli('cron', 'history', 'www-data/prod/backup', '-n', '2', '-o', 'json');
    assert.equal(json.code, 0, json.stderr);
    const document = assertMatchesSchema<{ format_version: number; job: string; runs: unknown[] }>(
      'cron-history',
      json.stdout,
    );
    assert.equal(Object.keys(document)[0], 'format_version');
    assert.deepEqual([document.format_version, document.job], [1, BACKUP]);
    assert.deepEqual(document.runs, [
      {
        id: 'schedule-20261208T0110Z',
        trigger: 'schedule',
        outcome: 'failed',
        scheduled_at: '2026-12-08T01:10:00.000Z',
        started_at: '2026-12-08T01:10:00.000Z',
        ended_at: '2026-12-08T01:10:05.000Z',
        duration_secs: 5,
        detail: 'instance 0 failed 1 time(s)',
        instances: [{ instance: 0, task_id: 'www-data-prod-backup-0-b', failures: 1, ended: 'FAILED' }],
      },
      {
        id: 'schedule-20261208T0105Z',
        trigger: 'schedule',
        outcome: 'skipped',
        scheduled_at: '2026-12-08T01:05:00.000Z',
        detail: 'run manual-20261208T0104Z-1 was still going (CANCEL_NEW)',
        instances: [],
      },
    ]);
  });
});
