/**
 * `borealis watch`: the daemon. Applies every new commit of the tracked branch (a local
 * repository's refs are watched; a remote is fetched every --interval and on webhooks),
 * heals the cluster between commits, and serves webhooks and a status API.
 * SIGTERM/SIGINT: the current step finishes and is recorded, then it exits; tasks keep running.
 */
import type { Command } from 'commander';
import { ServerSetAnnouncer } from '../announce/serverset.js';
import { Daemon } from '../reconciler/daemon.js';
import type { Coordinator } from '../zookeeper/coordinator.js';
import type { ZkSession } from '../zookeeper/session.js';
import { startServer } from '../server/app.js';
import type { ServerDeps, WebhookSecrets } from '../server/types.js';
import { writeNote } from '../source/notes.js';
import { statusReport } from '../status/job-status.js';
import { openDeployEnvironment, type DeployEnvironment } from './context.js';
import { notesOption, signatureOptions, signaturePolicy, type SignatureFlags } from './deploy-flags.js';
import { globalOptions } from './global-options.js';
import type { Io } from './io.js';

interface WatchOptions extends SignatureFlags {
  listen: string;
  http: boolean;
  interval: number;
  resync: number;
  allowMassKill?: boolean;
  notes?: boolean;
}

const seconds = (value: string) => {
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed <= 0)
    throw new Error(`${value} is not a positive number of seconds`);
  return parsed;
};

export function registerWatch(program: Command, io: Io): void {
  const command = program
    .command('watch')
    .description(
      'the daemon: apply every new commit of the tracked branch, heal between commits, serve webhooks',
    )
    .option('--listen <ADDRESS>', 'HTTP address for webhooks and the status API', '127.0.0.1:7070')
    .option('--no-http', 'serve no HTTP at all')
    .option('--interval <SECONDS>', 'how often a remote repository is fetched', seconds, 60)
    .option('--resync <SECONDS>', 'how often the cluster is checked against the applied commit', seconds, 30)
    .option('--allow-mass-kill', 'apply even plans that kill more than half of the running jobs')
    .addOption(notesOption());
  signatureOptions(command).action(async (options: WatchOptions, self: Command) => {
    const global = { ...globalOptions(self), listen: options.http ? options.listen : undefined };
    const env = await openDeployEnvironment(global);
    const announcer = env.coordinator ? announcerFor(env.coordinator) : undefined;
    const log = (line: string) => io.stdout.write(`${new Date().toISOString()} ${line}\n`);
    const daemon = new Daemon(
      {
        ...env,
        clusterName: global.cluster,
        log,
        onProgress: (progress) =>
          log(
            `  ${progress.job}${progress.instance === undefined ? '' : `/${progress.instance}`}: ${progress.event}${progress.detail ? ` ${progress.detail}` : ''}`,
          ),
        onDeployment: options.notes ? (record) => writeNote(env.source.dir, record) : undefined,
        leadership: env.coordinator,
        announcer,
      },
      {
        pollMs: options.interval * 1000,
        resyncMs: options.resync * 1000,
        allowMassKill: options.allowMassKill,
        requireSigned: signaturePolicy(options),
      },
    );
    const server = options.http
      ? await startServer(serverDeps(daemon, env, global.cluster, webhookSecrets(), log), options.listen)
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
    await server?.close();
    announcer?.close();
    await env.close();
    log('stopped; tasks keep running');
  });
}

/** The daemon's side of the HTTP server: pushes wake it, the API reads its records. */
/** Service announcement follows the coordinator's session, also after an expiry. */
function announcerFor(coordinator: Coordinator): ServerSetAnnouncer & { close(): void } {
  const announcer = new ServerSetAnnouncer({ session: coordinator.currentSession });
  const onSession = (session: ZkSession) => announcer.replaceSession(session);
  coordinator.on('session', onSession);
  return Object.assign(announcer, { close: () => void coordinator.off('session', onSession) });
}

export function serverDeps(
  daemon: Daemon,
  env: Pick<DeployEnvironment, 'records' | 'cluster' | 'deployments' | 'coordinator'>,
  clusterName: string,
  secrets: WebhookSecrets,
  log: (line: string) => void,
): ServerDeps {
  return {
    secrets,
    onPush: (hint) => {
      log(`webhook from ${hint.provider}${hint.delivery ? ` (${hint.delivery})` : ''}: fetching`);
      daemon.trigger('webhook');
    },
    status: async () => {
      const report = await statusReport(env.records, env.cluster, clusterName);
      return {
        applied_commit: report.applied_commit,
        cluster: report.cluster,
        ...(await leadershipView(env.coordinator)),
        jobs: report.jobs,
      };
    },
    deployments: async (limit) => ({ deployments: await env.deployments.list(limit) }),
    health: async () => ({ ok: true, ...(await leadershipView(env.coordinator)) }),
  };
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
