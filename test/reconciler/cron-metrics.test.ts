/**
 * The cron metrics in a real GET /metrics scrape (a real server, the daemon's Metrics over
 * a real state store and the real local cluster): the runs the scheduler counts, and a cron
 * job's last success and next run, read at scrape time as `status` reads them.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import parsePrometheusTextFormat, { type MetricFamily } from 'parse-prometheus-text-format';
import { CronRecords } from '../../src/cron/records.js';
import { CRON_RECORD_FORMAT } from '../../src/cron/types.js';
import { Metrics } from '../../src/metrics/metrics.js';
import { startServer, type RunningServer } from '../../src/server/app.js';
import { Records } from '../../src/state/records.js';
import type { StateStore } from '../../src/state/types.js';
import { statusReport } from '../../src/status/job-status.js';
import type { LocalCluster } from '../../src/cluster/local/cluster.js';
import { DeployEnv } from '../support/deploy-env.js';
import { sleeperJob } from '../support/jobs.js';
import { recorder } from '../server/harness.js';

const BACKUP = 'local/www-data/prod/backup';
const PAUSED = 'local/www-data/prod/paused';
const AT = Date.UTC(2026, 11, 8, 1, 0);

describe('cron metrics in GET /metrics', () => {
  let env: DeployEnv;
  let store: StateStore;
  let cluster: LocalCluster;
  let metrics: Metrics;
  let server: RunningServer;
  const scrape = async (): Promise<MetricFamily[]> =>
    parsePrometheusTextFormat(await (await fetch(`${server.url}/metrics`)).text());
  const series = (families: MetricFamily[], name: string) =>
    new Map(
      (families.find((f) => f.name === name)?.metrics ?? []).map((m) => [
        Object.values(m.labels ?? {}).join(' '),
        Number(m.value),
      ]),
    );

  before(async () => {
    env = new DeployEnv();
    const cron = (name: string, paused: boolean) =>
      sleeperJob(name, { service: false, cron_schedule: '*/5 * * * *', cron_paused: paused }, 'true');
    env.commitJobs('cron jobs', [cron('backup', false), cron('paused', true), sleeperJob('web')]);
    assert.equal((await env.cli('reconcile')).code, 0);
    store = await env.openStore();
    const ended = (minutes: number, outcome: 'succeeded' | 'failed') => ({
      id: `schedule-${minutes}`,
      trigger: 'schedule' as const,
      scheduledAt: AT + minutes * 60_000,
      startedAt: AT + minutes * 60_000,
      endedAt: AT + minutes * 60_000 + 7_000,
      outcome,
      instances: [],
    });
    await new CronRecords(store).put(
      {
        format: CRON_RECORD_FORMAT,
        jobId: BACKUP,
        lastTick: AT + 10 * 60_000,
        schedule: '*/5 * * * *',
        timezone: 'UTC',
        runs: [ended(0, 'succeeded'), ended(5, 'succeeded'), ended(10, 'failed')],
      },
      null,
    );
    const records = new Records(store);
    cluster = env.openCluster();
    metrics = new Metrics({
      jobs: async () => (await statusReport(records, cluster, 'local')).jobs,
      openDrift: () => records.openDrift(),
      isLeader: () => true,
    });
    server = await startServer(recorder({}, { metrics: () => metrics.exposition() }).deps, '127.0.0.1:0', {
      log: () => undefined,
    });
  });
  after(async () => {
    await server.close();
    await cluster.close();
    await store.close();
    await env.cleanup();
  });

  it('counts the runs the scheduler reports, by job and outcome', async () => {
    metrics.cronRunEnded(BACKUP, 'succeeded');
    metrics.cronRunEnded(BACKUP, 'succeeded');
    metrics.cronRunEnded(BACKUP, 'failed');
    metrics.cronRunEnded(BACKUP, 'missed', 3);
    const runs = series(await scrape(), 'borealis_cron_runs_total');
    assert.deepEqual(
      runs,
      new Map([
        [`${BACKUP} succeeded`, 2],
        [`${BACKUP} failed`, 1],
        [`${BACKUP} missed`, 3],
      ]),
    );
  });

  it("gives each cron job's last success and next run, as status does; none for other jobs", async () => {
    const families = await scrape();
    assert.deepEqual(
      series(families, 'borealis_cron_last_success_timestamp_seconds'),
      new Map([[BACKUP, (AT + 5 * 60_000 + 7_000) / 1000]]),
      'the newest success, not the newest run',
    );
    const next = series(families, 'borealis_cron_next_run_timestamp_seconds');
    assert.deepEqual([...next.keys()], [BACKUP], 'none for a paused job, nor for a job without a schedule');
    const report = await statusReport(new Records(store), cluster, 'local');
    const fromStatus = report.jobs.find((job) => job.job === BACKUP)!.cron!.next_run_at!;
    const seconds = next.get(BACKUP)!;
    assert.ok(seconds % 300 === 0 && seconds > Date.now() / 1000 - 300, String(seconds));
    assert.ok(Math.abs(Date.parse(fromStatus) / 1000 - seconds) <= 300, `${fromStatus} vs ${seconds}`);
    assert.ok(!series(families, 'borealis_cron_last_success_timestamp_seconds').has(PAUSED));
  });
});
