/**
 * GET /metrics of a real `borealis watch` process on the real local cluster: it parses as
 * Prometheus text (with a Prometheus text-format parser, not a regex), and its instance
 * counts match what `borealis status -o json` reports for the same cluster.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import parsePrometheusTextFormat, { type MetricFamily } from 'parse-prometheus-text-format';
import { DeployEnv } from '../support/deploy-env.js';
import { sleeperJob } from '../support/jobs.js';
import { ReconcilerProcess } from '../support/reconciler-process.js';
import { eventually } from '../support/waiting.js';
import { freePort } from '../support/zookeeper.js';

interface StatusJson {
  jobs: { job: string; instances: { state: string }[] }[];
}

describe('GET /metrics', () => {
  let env: DeployEnv;
  let reconciler: ReconcilerProcess;
  let port: number;
  const exposition = async (): Promise<string> => {
    const response = await fetch(`http://127.0.0.1:${port}/metrics`);
    assert.match(response.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    return response.text();
  };
  const scrape = async (): Promise<MetricFamily[]> => parsePrometheusTextFormat(await exposition());
  const family = (families: MetricFamily[], name: string) => families.find((f) => f.name === name);

  before(async () => {
    env = new DeployEnv();
    env.commitJobs('two jobs', [sleeperJob('web', { instances: 3 }), sleeperJob('worker', { instances: 2 })]);
    port = await freePort();
    reconciler = new ReconcilerProcess('metrics', {
      repo: env.repo.dir,
      state: env.state,
      watchArgs: ['--listen', `127.0.0.1:${port}`, '--resync', '1'],
      env: { BOREALIS_WEBHOOK_SECRET: 'sesame' },
    });
    await reconciler.waitFor(/"two jobs" by .*: succeeded/, 60_000);
  });
  after(async () => {
    reconciler.kill('SIGTERM');
    await reconciler.exited;
    await env.cleanup();
  });

  it('reports every instance by state per job exactly as status does', async () => {
    // A killed instance shows in both: MISSING or relaunched, whatever the moment, the same.
    const [victim] = await env.liveTasks('web');
    const observer = env.observer();
    await observer.kill([victim!.taskId]).finally(() => observer.close());
    await eventually(
      async () => (await env.liveTasks('web')).filter((t) => t.state === 'RUNNING').length === 3,
      20_000,
      'the instance relaunched',
    );
    const status = JSON.parse((await env.cli('status', '-o', 'json')).stdout) as StatusJson;
    const fromStatus = new Map<string, number>();
    for (const job of status.jobs)
      for (const instance of job.instances) {
        const key = `${job.job} ${instance.state}`;
        fromStatus.set(key, (fromStatus.get(key) ?? 0) + 1);
      }
    const instances = family(await scrape(), 'borealis_instances')!;
    assert.equal(instances.type, 'GAUGE');
    const fromMetrics = new Map(
      instances.metrics.map((m) => [`${m.labels!.job} ${m.labels!.state}`, Number(m.value)]),
    );
    assert.deepEqual(fromMetrics, fromStatus);
    assert.equal(fromMetrics.get('local/www-data/prod/web RUNNING'), 3);
  });

  it('counts deployments, passes, webhook deliveries, and says this reconciler leads', async () => {
    const refused = await fetch(`http://127.0.0.1:${port}/hooks/generic`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-signature': 'sha256=00' },
      body: '{}',
    });
    assert.equal(refused.status, 401);
    await eventually(
      async () =>
        family(await scrape(), 'borealis_webhook_deliveries_total')?.metrics.some(
          (m) => m.labels?.provider === 'generic' && m.labels.code === '401' && m.value === '1',
        ) === true,
      5_000,
      'the refused delivery counted',
    );
    const families = await scrape();
    const deployments = family(families, 'borealis_deployments_total')!;
    assert.deepEqual(
      deployments.metrics.map((m) => [m.labels!.outcome, Number(m.value)]),
      [['succeeded', 1]],
    );
    assert.equal(family(families, 'borealis_leader')!.metrics[0]!.value, '1');
    assert.equal(family(families, 'borealis_reconcile_duration_seconds')!.type, 'HISTOGRAM');
    // The parser merges a histogram's labelled series and drops _count: read that line as sent.
    assert.match(await exposition(), /^borealis_reconcile_duration_seconds_count\{kind="deployment"\} 1$/m);
    assert.ok(
      Number(family(families, 'borealis_seconds_since_last_successful_sync')!.metrics[0]!.value) >= 0,
    );
  });
});
