/**
 * The daemon's Prometheus metrics (prom-client). Counters and histograms are fed as things
 * happen; the gauges that describe the cluster (instances by state, open drift, leadership,
 * time since the last good pass) are read when scraped, from the same sources `status`
 * reads, so `/metrics` and `status` cannot disagree (a cron job's last success and next run
 * included: they are `status`'s). The cron scheduler counts its runs (`cronRunEnded`).
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { CronOutcome } from '../cron/types.js';
import type { OpenDrift } from '../drift/transitions.js';
import type { Plan } from '../plan/types.js';
import { ACTIONS } from '../plan/types.js';
import type { CronStatus } from '../status/cron-status.js';
import type { JobStatus } from '../status/job-status.js';

export type PassKind = 'deployment' | 'resync';

/** What the scrape-time gauges read. */
export interface MetricSources {
  jobs(): Promise<JobStatus[]>;
  openDrift(): Promise<OpenDrift[]>;
  isLeader(): boolean;
  now?: () => number;
}

export class Metrics {
  readonly registry = new Registry();
  private readonly passDuration: Histogram<'kind'>;
  private readonly planChanges: Gauge<'action'>;
  private readonly deploymentOutcomes: Counter<'outcome'>;
  private readonly webhookDeliveries: Counter<'provider' | 'code'>;
  private readonly notifications: Counter<'sink' | 'result'>;
  private readonly httpRefusals: Counter<'reason'>;
  private readonly cronRuns: Counter<'job' | 'outcome'>;
  private readonly lastSuccess: Gauge;
  private lastSuccessAt: number | undefined;

  constructor(sources: MetricSources) {
    const registers = [this.registry];
    const now = sources.now ?? Date.now;
    // Several gauges read the jobs: one scrape reads them once.
    const jobs = onePerScrape(() => sources.jobs());
    this.passDuration = new Histogram({
      name: 'borealis_reconcile_duration_seconds',
      help: 'Duration of reconciliation passes: deployments of a commit, and resyncs between commits.',
      labelNames: ['kind'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600],
      registers,
    });
    this.planChanges = new Gauge({
      name: 'borealis_plan_changes',
      help: 'Jobs per action in the latest plan.',
      labelNames: ['action'],
      registers,
    });
    this.deploymentOutcomes = new Counter({
      name: 'borealis_deployments_total',
      help: 'Deployments of a commit, by outcome.',
      labelNames: ['outcome'],
      registers,
    });
    this.webhookDeliveries = new Counter({
      name: 'borealis_webhook_deliveries_total',
      help: 'Webhook requests answered, by provider and HTTP status.',
      labelNames: ['provider', 'code'],
      registers,
    });
    this.httpRefusals = new Counter({
      name: 'borealis_http_refusals_total',
      help: 'Connections and requests the HTTP server refused to protect itself, by reason (limits, timeouts, 431, replays).',
      labelNames: ['reason'],
      registers,
    });
    this.notifications = new Counter({
      name: 'borealis_notifications_total',
      help: 'Notification deliveries by sink and result (sent, retried, failed, dropped).',
      labelNames: ['sink', 'result'],
      registers,
    });
    this.lastSuccess = new Gauge({
      name: 'borealis_last_successful_sync_timestamp_seconds',
      help: 'When the last pass that ended without error finished (Unix seconds).',
      registers,
    });
    const since: Gauge = new Gauge({
      name: 'borealis_seconds_since_last_successful_sync',
      help: 'Seconds since the last pass that ended without error; absent before the first.',
      registers,
      collect: () => {
        since.reset();
        if (this.lastSuccessAt !== undefined) since.set((now() - this.lastSuccessAt) / 1000);
      },
    });
    const instances: Gauge<'job' | 'state'> = new Gauge({
      name: 'borealis_instances',
      help: 'Declared or running instances per job, by the state status reports (MISSING included).',
      labelNames: ['job', 'state'],
      registers,
      collect: async () => {
        instances.reset();
        for (const job of await jobs()) {
          for (const [state, count] of countBy(job.instances.map((i) => i.state)))
            instances.set({ job: job.job, state }, count);
        }
      },
    });
    const drift: Gauge<'kind'> = new Gauge({
      name: 'borealis_drift_open',
      help: 'Open drifts by kind.',
      labelNames: ['kind'],
      registers,
      collect: async () => {
        drift.reset();
        for (const [kind, count] of countBy((await sources.openDrift()).map((d) => d.kind)))
          drift.set({ kind }, count);
      },
    });
    this.cronRuns = new Counter({
      name: 'borealis_cron_runs_total',
      help: 'Cron runs by job and outcome as they end (succeeded, failed, killed), and ticks that started none (skipped, missed).',
      labelNames: ['job', 'outcome'],
      registers,
    });
    const cronTime = (name: string, help: string, at: (cron: CronStatus) => string | null) => {
      const gauge: Gauge<'job'> = new Gauge({
        name,
        help,
        labelNames: ['job'],
        registers,
        collect: async () => {
          gauge.reset();
          for (const job of await jobs()) {
            const time = job.cron ? at(job.cron) : null;
            if (time !== null) gauge.set({ job: job.job }, Date.parse(time) / 1000);
          }
        },
      });
    };
    cronTime(
      'borealis_cron_last_success_timestamp_seconds',
      "When a cron job's last successful run ended (Unix seconds); absent before its first.",
      (cron) => cron.last_success_at,
    );
    cronTime(
      'borealis_cron_next_run_timestamp_seconds',
      "A cron job's next tick (Unix seconds); absent while it is paused or descheduled.",
      (cron) => cron.next_run_at,
    );
    const leader: Gauge = new Gauge({
      name: 'borealis_leader',
      help: '1 while this reconciler leads (always 1 without ZooKeeper), else 0.',
      registers,
      collect: () => leader.set(sources.isLeader() ? 1 : 0),
    });
  }

  passFinished(kind: PassKind, seconds: number, ok: boolean, at: number): void {
    this.passDuration.observe({ kind }, seconds);
    if (!ok) return;
    this.lastSuccessAt = at;
    this.lastSuccess.set(at / 1000);
  }

  planned(plan: Plan): void {
    for (const action of ACTIONS) this.planChanges.set({ action }, plan.summary[action]);
  }

  deployed(outcome: string): void {
    this.deploymentOutcomes.inc({ outcome });
  }

  webhook(provider: string, status: number): void {
    this.webhookDeliveries.inc({ provider, code: String(status) });
  }

  httpRefused(reason: string): void {
    this.httpRefusals.inc({ reason });
  }

  notification(sink: string, result: string): void {
    this.notifications.inc({ sink, result });
  }

  /** A cron run ended, or `count` ticks started none (skipped, missed): called by the cron scheduler. */
  cronRunEnded(job: string, outcome: Exclude<CronOutcome, 'running'>, count = 1): void {
    this.cronRuns.inc({ job, outcome }, count);
  }

  async exposition(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}

/** The reads of one scrape (its gauges are collected together) share one call of `read`. */
function onePerScrape<T>(read: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | undefined;
  return () =>
    (pending ??= read().finally(() => {
      pending = undefined;
    }));
}

function countBy(values: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  return counts;
}
