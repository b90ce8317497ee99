/**
 * `status -o json` as a real run prints it, in five states of a real job on the local
 * cluster, each checked against schemas/status.schema.json: synced and healthy, an
 * instance missing, an update held after rolling back, every instance stopped by `local
 * down`, and a rolling update in flight.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { CronRecords } from '../../src/cron/records.js';
import { CRON_RECORD_FORMAT } from '../../src/cron/types.js';
import { DeployEnv } from '../support/deploy-env.js';
import { buildLaunch, processConfig } from '../support/launch-builder.js';
import { startDaemon } from '../support/daemon-env.js';
import { sleeperJob } from '../support/jobs.js';
import { eventually } from '../support/waiting.js';
import type { JobStatus, StatusReport } from '../../src/status/job-status.js';

const schema = JSON.parse(
  readFileSync(new URL('../../../schemas/status.schema.json', import.meta.url), 'utf8'),
) as object;
const validate = new Ajv2020({ allErrors: true, strict: true }).compile(schema);
const WEB = 'local/www-data/prod/web';
const web = (cmdline: string, watchSecs = 1) =>
  sleeperJob('web', { instances: 2, update_config: { batch_size: 1, watch_secs: watchSecs } }, cmdline);

describe('status -o json', () => {
  let env: DeployEnv;
  before(() => (env = new DeployEnv()));
  after(() => env.cleanup());

  /** The status a real run prints, after checking it against the schema. */
  const status = async (): Promise<StatusReport> => {
    const run = await env.cli('status', '-o', 'json');
    assert.equal(run.code, 0, run.stderr);
    const report = JSON.parse(run.stdout) as StatusReport;
    assert.ok(validate(report), JSON.stringify(validate.errors, null, 2));
    assert.equal(Object.keys(report)[0], 'format_version');
    return report;
  };
  const job = async (): Promise<JobStatus> => (await status()).jobs.find((j) => j.job === WEB)!;
  const verdict = (j: JobStatus) => [j.sync, j.health, j.instances_running, j.instances_desired];

  it('synced and healthy', async () => {
    env.commitJobs('v1', [web('exec sleep 1000')]);
    assert.equal((await env.cli('reconcile')).code, 0);
    const report = await status();
    assert.equal(report.format_version, 1);
    assert.match(report.applied_at!, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    const synced = report.jobs.find((j) => j.job === WEB)!;
    assert.deepEqual(verdict(synced), ['synced', 'healthy', 2, 2]);
    assert.ok(synced.instances.every((i) => typeof i.uptime_secs === 'number'));
  });

  it('an instance missing', async () => {
    const [victim] = await env.liveTasks('web');
    const observer = env.observer();
    await observer.kill([victim!.taskId]).finally(() => observer.close());
    await eventually(async () => (await env.liveTasks('web')).length === 1, 20_000, 'instance 0 ended');
    const degraded = await job();
    assert.deepEqual(verdict(degraded), ['out_of_sync', 'degraded', 1, 2]);
    assert.equal(degraded.instances[0]!.state, 'KILLED');
    assert.equal(degraded.instances[0]!.healthy, undefined, 'an ended task is not called healthy');
    assert.equal((await env.cli('reconcile')).code, 0, 'heals it');
  });

  it('an update held after rolling back', async () => {
    const broken = env.commitJobs('v2 broken', [web('exit 1')]);
    assert.equal((await env.cli('reconcile')).code, 3);
    const held = await job();
    assert.deepEqual(verdict(held), ['held', 'healthy', 2, 2]);
    assert.equal(held.held?.commit, broken);
    assert.equal(held.held?.outcome, 'rolled_back');
  });

  it('every instance stopped by local down', async () => {
    assert.equal((await env.cli('local', 'down')).code, 0);
    const stopped = await job();
    assert.deepEqual([stopped.sync, stopped.health], ['held', 'missing'], stopped.health_detail);
    assert.equal(stopped.instances_running, 0);
    assert.ok(
      stopped.instances.every((i) => i.state === 'KILLED' && i.healthy === undefined),
      'no stopped instance is called healthy',
    );
  });

  it('a rolling update in flight', async () => {
    env.commitJobs('v3 slow', [web('exec sleep 2000', 500)]);
    const running = await startDaemon(env);
    try {
      await running.until(async () => (await job()).update !== undefined, 'the update in flight');
      const rolling = await job();
      assert.deepEqual([rolling.sync, rolling.health], ['out_of_sync', 'progressing']);
      assert.equal(rolling.update?.status, 'ROLLING_FORWARD');
      assert.equal(rolling.update?.instances_total, 2);
      assert.match(rolling.sync_detail, /rolling out \w+ from commit/);
    } finally {
      await running.stop();
    }
  });
});

describe('status of a cron job, -o json and text', () => {
  const BACKUP = 'local/www-data/prod/backup';
  const RUN = 'manual-20261208T0102Z-1';
  let env: DeployEnv;
  before(() => (env = new DeployEnv()));
  after(() => env.cleanup());

  it('its schedule, next run, the run going and the last runs', async () => {
    const backup = sleeperJob(
      'backup',
      { service: false, instances: 1, cron_schedule: '*/5 * * * *', cron_collision_policy: 'CANCEL_NEW' },
      'true',
    );
    env.commitJobs('backup', [backup]);
    assert.equal((await env.cli('reconcile')).code, 0);
    const store = await env.openStore();
    const at = Date.UTC(2026, 11, 8, 1, 0);
    const ended = { startedAt: at + 1_000, endedAt: at + 13_000, instances: [] };
    await new CronRecords(store)
      .put(
        {
          format: CRON_RECORD_FORMAT,
          jobId: BACKUP,
          lastTick: at + 5 * 60_000,
          schedule: '*/5 * * * *',
          timezone: 'UTC',
          runs: [
            {
              id: 'schedule-20261208T0100Z',
              trigger: 'schedule',
              scheduledAt: at,
              outcome: 'succeeded',
              ...ended,
            },
            {
              id: 'schedule-20261208T0105Z',
              trigger: 'schedule',
              scheduledAt: at + 5 * 60_000,
              outcome: 'failed',
              detail: 'instance 0 failed 1 time(s)',
              ...ended,
            },
            {
              id: RUN,
              trigger: 'manual',
              scheduledAt: at + 6 * 60_000,
              startedAt: at + 6 * 60_000,
              outcome: 'running',
              instances: [],
            },
          ],
        },
        null,
      )
      .finally(() => store.close());
    const launch = {
      ...buildLaunch({ name: 'backup', processes: [processConfig('main', 'exec sleep 1000')] }),
      jobId: BACKUP,
      cronRun: RUN,
    };
    const observer = env.observer();
    await observer.launch([launch]).finally(() => observer.close());
    await eventually(
      async () =>
        (await env.liveTasks('backup')).some((task) => task.state === 'RUNNING' && task.cronRun === RUN),
      20_000,
      'the run’s task running',
    );

    const run = await env.cli('status', '-o', 'json');
    assert.equal(run.code, 0, run.stderr);
    const report = JSON.parse(run.stdout) as StatusReport;
    assert.ok(validate(report), JSON.stringify(validate.errors, null, 2));
    const job = report.jobs.find((j) => j.job === BACKUP)!;
    assert.equal(job.health, 'degraded', 'the last ended run failed');
    assert.equal(job.cron?.running, RUN);
    assert.equal(
      job.cron?.last_success_at,
      '2026-12-08T01:00:13.000Z',
      'the newest success, not the newest run',
    );
    assert.deepEqual(
      job.cron?.last_runs.map((r) => [r.id, r.outcome, r.duration_secs === undefined]),
      [
        [RUN, 'running', false],
        ['schedule-20261208T0105Z', 'failed', false],
        ['schedule-20261208T0100Z', 'succeeded', false],
      ],
    );
    assert.match(job.cron.next_run_at!, /^\d{4}-\d{2}-\d{2}T\d{2}:[0-5][05]:00\.000Z$/);
    assert.ok(job.instances.some((i) => i.cron_run === RUN && i.state === 'RUNNING'));

    const text = await env.cli('status', BACKUP);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /schedule {2}\*\/5 \* \* \* \* \(UTC\), CANCEL_NEW; next run \d{4}-/);
    assert.match(text.stdout, /running {3}manual-20261208T0102Z-1/);
    assert.match(
      text.stdout,
      /schedule-20261208T0105Z {4}schedule {2}2026-12-08T01:05:00\.000Z {2}failed +12s {2}instance 0 failed/,
    );
  });
});
