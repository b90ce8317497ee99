/** The `watch` daemon, started from its flags (`watch.ts`): opened, served, stopped on a signal. */
import { join } from 'node:path';
import type { Command } from 'commander';
import { ServerSetAnnouncer } from '../announce/serverset.js';
import { Daemon } from '../reconciler/daemon.js';
import type { Coordinator } from '../zookeeper/coordinator.js';
import type { ZkSession } from '../zookeeper/session.js';
import type { CronStartAnswer, ServerDeps, WebhookSecrets } from '../server/types.js';
import { writeNote } from '../source/notes.js';
import type { Metrics } from '../metrics/metrics.js';
import { commitUrl, createNotifier, parseSinks } from '../notify/index.js';
import { statusReport } from '../status/job-status.js';
import { ObservedViewCache } from '../cluster/leader-view/wire.js';
import { normaliseRoot } from '../source/git-tree.js';
import { toPlanDocument } from '../plan/wire.js';
import { historyListDocument } from '../state/deployment-wire.js';
import { isZkUrl } from '../zookeeper/url.js';
import { openDeployEnvironment, type DeployEnvironment } from './compose/deploy-environment.js';
import { announceWatch } from './compose/leader-address.js';
import { localDir } from './compose/local-dir.js';
import { signaturePolicy } from './deploy-flags.js';
import type { WatchOptions } from './watch.js';
import { globalOptions } from './global-options.js';
import type { Io } from './io.js';
import type { DeployProgress } from '../deploy/executor.js';
import { progressLine } from './progress.js';
import { createLog, type Log } from '../util/log.js';
import { onceEach, setWarningSink } from '../util/warnings.js';
import { BorealisError } from '../errors.js';
import { systemCode } from './operator-error.js';
import { CronScheduler } from '../cron/scheduler.js';
import { CronRecords } from '../cron/records.js';
import { clockFromEnvironment } from '../cron/clock.js';
import { cronReporter } from '../cron/report.js';

/** The webhook deliveries remembered to refuse replays, in the local state directory. */
const REPLAY_JOURNAL = 'webhook-deliveries.jsonl';

export async function runWatch(options: WatchOptions, self: Command, io: Io): Promise<void> {
  const log = createLog(options.logFormat, (text) => io.stdout.write(text));
  // What the records and caches repair on their own is a log line too, in the log's format.
  const restoreWarnings = setWarningSink(
    onceEach((message) => log(`warning: ${message}`, { event: 'warning' }, 'warn')),
  );
  try {
    await serve(options, self, log);
  } finally {
    restoreWarnings();
  }
}

async function serve(options: WatchOptions, self: Command, log: Log): Promise<void> {
  const global = { ...globalOptions(self), listen: options.http ? options.listen : undefined };
  const sinks = parseSinks(options.notify, process.env); // a bad sink fails before anything is opened
  const env = await openDeployEnvironment(global, log);
  const announcer = env.coordinator ? announcerFor(env.coordinator) : undefined;
  // Loaded here, not at start-up: the other commands need neither, and both are slow to load.
  const [{ Metrics }, { startServer }] = await Promise.all([
    import('../metrics/metrics.js'),
    import('../server/app.js'),
  ]);
  const metrics = new Metrics({
    jobs: async () => (await statusReport(env.records, env.cluster, global.cluster)).jobs,
    openDrift: () => env.records.openDrift(),
    isLeader: () => env.coordinator?.isLeader() ?? true,
  });
  const notifier = createNotifier(sinks, {
    log,
    onResult: (sink, result) => metrics.notification(sink, result),
  });
  const published = await env.source.publishedUrl();
  const cron = new CronScheduler({
    cluster: env.cluster,
    records: env.records,
    cron: new CronRecords(env.records.store),
    clock: clockFromEnvironment(),
    log,
    reporter: cronReporter({
      cluster: global.cluster,
      now: () => Date.now(),
      notify: (event) => notifier.notify(event),
      counter: metrics,
      onMissed: () => daemon.trigger('resync'),
    }),
  });
  const daemon = new Daemon(
    {
      ...env,
      clusterName: global.cluster,
      log,
      onProgress: (progress) => logProgress(log, progress),
      onDeployment: options.notes ? (record) => writeNote(env.source.dir, record) : undefined,
      leadership: env.coordinator,
      announcer,
      metrics,
      cron,
      notify: (event) => notifier.notify(event),
      commitUrl: (sha) => commitUrl(published, sha, options.commitUrl),
    },
    {
      pollMs: options.interval * 1000,
      resyncMs: options.resync * 1000,
      loadLimits: global.limits,
      loadBudget: { timeMs: options.loadTimeout * 1000, memoryMb: options.loadMemory },
      allowMassKill: options.allowMassKill,
      killWindow: { commits: options.massKillWindowCommits, ms: options.massKillWindow * 1000 },
      requireSigned: signaturePolicy(options),
      autoApply: options.autoApply,
      prune: options.prune,
      reminderMs: options.reminder * 1000,
      drift: {
        flapThreshold: options.flapThreshold,
        flapWindowMs: options.flapWindow * 1000,
        settleMs: options.settle * 1000,
        stuckAfterMs: options.stuckAfter * 1000,
      },
    },
  );
  const deps = serverDeps(daemon, env, global.cluster, webhookSecrets(), log, global.path);
  const server = options.http
    ? await startServer({ ...deps, ...operationDeps(daemon, env, metrics) }, options.listen, {
        log,
        replayFile: join(localDir(global), REPLAY_JOURNAL),
        replayWindowMs: options.replayWindow * 1000,
        maxConnections: options.maxConnections,
        maxConnectionsPerClient: options.maxConnectionsPerClient,
      }).catch(async (error: unknown) => {
        await env.close();
        throw listenError(error, options.listen);
      })
    : undefined;
  // With state in ZooKeeper the election node says where the leader serves, port included.
  if (server) await env.coordinator?.advertise(server.listen);
  const withdraw =
    server && !isZkUrl(global.state)
      ? await announceWatch(localDir(global), global.cluster, server.url)
      : undefined;
  log(
    `watching ${env.source.description}${global.path ? ` path ${global.path}` : ''} for cluster ${global.cluster}${server ? `; HTTP on ${server.url}` : ''}`,
  );
  await daemon.start();
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', resolve);
    process.once('SIGINT', resolve);
  });
  log('stopping: finishing the current step');
  await daemon.stop();
  await notifier.close(); // what is still queued gets a few seconds to go out
  await withdraw?.();
  await server?.close();
  announcer?.close();
  await env.close();
  log('stopped; tasks keep running');
}

/** One line per rollout event, with where the job's rollout stands. */
function logProgress(log: Log, progress: DeployProgress): void {
  const { job, instance, event, detail, rollout } = progress;
  log(`  ${progressLine(progress)}`, {
    job,
    instance,
    event,
    detail,
    done: rollout?.done,
    total: rollout?.total,
    phase: rollout?.phase,
  });
}

/** Another process on the address, or an address this machine cannot serve, is the operator's to fix. */
function listenError(error: unknown, listen: string): unknown {
  const code = systemCode(error);
  const hint = 'pass --listen 127.0.0.1:PORT with a free port, or --no-http to serve nothing';
  if (code === 'EADDRINUSE') {
    return new BorealisError(
      'ADDRESS_IN_USE',
      `cannot listen on ${listen}: another process uses that address`,
      {
        cause: error,
        hint,
      },
    );
  }
  if (code === 'EADDRNOTAVAIL' || code === 'EACCES' || code === 'ENOTFOUND') {
    return new BorealisError('LISTEN_FAILED', `cannot listen on ${listen}: ${(error as Error).message}`, {
      cause: error,
      hint,
    });
  }
  return error;
}

/** Service announcement follows the coordinator's session, also after an expiry. */
function announcerFor(coordinator: Coordinator): ServerSetAnnouncer & { close(): void } {
  const announcer = new ServerSetAnnouncer({ session: coordinator.currentSession });
  const onSession = (session: ZkSession) => announcer.replaceSession(session);
  coordinator.on('session', onSession);
  return Object.assign(announcer, { close: () => void coordinator.off('session', onSession) });
}

/** The daemon's side of the HTTP server: pushes wake it, the API reads its records. */
export function serverDeps(
  daemon: Daemon,
  env: Pick<DeployEnvironment, 'records' | 'cluster' | 'deployments' | 'coordinator'>,
  clusterName: string,
  secrets: WebhookSecrets,
  log: (line: string) => void,
  jobRoot = '',
): ServerDeps {
  const views = new ObservedViewCache();
  return {
    secrets,
    onPush: (hint) => {
      log(`webhook from ${hint.provider}${hint.delivery ? ` (${hint.delivery})` : ''}: fetching`);
      daemon.trigger('webhook');
    },
    status: async () => {
      const report = await statusReport(env.records, env.cluster, clusterName);
      return {
        format_version: report.format_version,
        applied_commit: report.applied_commit,
        applied_at: report.applied_at,
        cluster: report.cluster,
        ...(await leadershipView(env.coordinator)),
        jobs: report.jobs,
      };
    },
    deployments: async (limit) => historyListDocument(await env.deployments.list(limit)),
    // Only the leader's view is the framework's: a follower's would be read from the master.
    observed: async () =>
      env.coordinator && !env.coordinator.isLeader()
        ? undefined
        : views.json(clusterName, await env.cluster.snapshot()),
    plan: async (request) => {
      // What the asker would plan: another cluster or job root is not this daemon's to plan.
      if (request.cluster !== clusterName) return { refused: `this reconciler reconciles ${clusterName}` };
      if (normaliseRoot(request.path) !== normaliseRoot(jobRoot))
        return { refused: `this reconciler reads the jobs under "${jobRoot}"` };
      const answer = await daemon.preview(request);
      return 'plan' in answer ? { plan: toPlanDocument(answer.plan) } : answer;
    },
    health: async () => ({
      ok: true,
      reconciling: daemon.reconciling,
      ...(await leadershipView(env.coordinator)),
    }),
  };
}

/** Sync (leader only, with BOREALIS_API_TOKEN) and metrics. */
function operationDeps(
  daemon: Daemon,
  env: Pick<DeployEnvironment, 'coordinator'>,
  metrics: Metrics,
): OperationDeps {
  const deps: OperationDeps = {
    sync: () => {
      if (env.coordinator && !env.coordinator.isLeader())
        return {
          accepted: false,
          reason: 'this reconciler does not lead: ask the leader (GET /healthz names it)',
        };
      daemon.requestSync();
      return { accepted: true };
    },
    startCronRun: async (job) => serverAnswer(await daemon.startCronRun(job)),
    metrics: () => metrics.exposition(),
    onWebhook: (provider, status) => metrics.webhook(provider, status),
    onRefusal: (reason) => metrics.httpRefused(reason),
  };
  // From the environment, never a flag: flags show up in `ps`.
  if (process.env.BOREALIS_API_TOKEN) deps.apiToken = process.env.BOREALIS_API_TOKEN;
  return deps;
}

type OperationDeps = Pick<
  ServerDeps,
  'sync' | 'startCronRun' | 'apiToken' | 'metrics' | 'onWebhook' | 'onRefusal'
>;

/** The daemon's answer to a run-now request, in the API's terms. */
function serverAnswer(result: Awaited<ReturnType<Daemon['startCronRun']>>): CronStartAnswer {
  if ('started' in result) return { started: result.started };
  if ('skipped' in result) return { skipped: result.skipped };
  if (result.refused === 'paused') return { paused: result.detail };
  if (result.refused === 'not_cron') return { unknown: result.detail };
  return { notLeader: result.detail };
}

/** Followers serve reads and say who leads. */
async function leadershipView(coordinator: Coordinator | undefined): Promise<Record<string, unknown>> {
  if (!coordinator) return { leader: true };
  const leader = await coordinator.leader().catch(() => null);
  return { leader: coordinator.isLeader(), leading_reconciler: leader };
}

/** Secrets come from the environment, never from flags (flags show up in `ps`). */
function webhookSecrets(): WebhookSecrets {
  const secrets: WebhookSecrets = {};
  if (process.env.BOREALIS_GITHUB_WEBHOOK_SECRET) secrets.github = process.env.BOREALIS_GITHUB_WEBHOOK_SECRET;
  if (process.env.BOREALIS_GITLAB_WEBHOOK_TOKEN) secrets.gitlab = process.env.BOREALIS_GITLAB_WEBHOOK_TOKEN;
  if (process.env.BOREALIS_WEBHOOK_SECRET) secrets.generic = process.env.BOREALIS_WEBHOOK_SECRET;
  return secrets;
}
