/**
 * `borealis watch`: the daemon. Applies every new commit of the tracked branch (a local
 * repository's refs are watched; a remote is fetched every --interval and on webhooks),
 * heals the cluster between commits, and serves webhooks and a status API.
 * SIGTERM/SIGINT: the current step finishes and is recorded, then it exits; tasks keep running.
 *
 * Only the flags are defined here; the daemon (`watch-daemon.ts`) is loaded when the command
 * runs, so the other commands do not import its 24 modules (notifiers, drift, announcement).
 */
import { InvalidArgumentError, Option, type Command } from 'commander';
import { LOG_FORMATS, type LogFormat } from '../util/log.js';
import {
  DEFAULT_MAX_CONNECTIONS,
  DEFAULT_MAX_CONNECTIONS_PER_CLIENT,
  DEFAULT_REPLAY_WINDOW_SECS,
  MAX_REPLAY_WINDOW_SECS,
} from '../server/limits.js';
import { parseListen } from '../server/listen.js';
import { notesOption, signatureOptions, type SignatureFlags } from './deploy-flags.js';
import type { Io } from './io.js';
import {
  boolean as bool,
  positiveInteger,
  positiveSeconds as seconds,
  wholeNumber as count,
} from './option-values.js';
import { DEFAULT_LOAD_MEMORY_MB, DEFAULT_LOAD_TIME_MS } from '../reconciler/off-thread.js';
import { DEFAULT_KILL_WINDOW } from '../plan/guard.js';

export interface WatchOptions extends SignatureFlags {
  listen: string;
  http: boolean;
  interval: number;
  resync: number;
  allowMassKill?: boolean;
  massKillWindow: number;
  massKillWindowCommits: number;
  notes?: boolean;
  autoApply: boolean;
  prune: boolean;
  reminder: number;
  flapThreshold: number;
  flapWindow: number;
  settle: number;
  stuckAfter: number;
  loadTimeout: number;
  loadMemory: number;
  notify: string[];
  commitUrl?: string;
  logFormat: LogFormat;
  replayWindow: number;
  maxConnections: number;
  maxConnectionsPerClient: number;
}

function replayWindow(value: string): number {
  const parsed = seconds(value);
  if (parsed > MAX_REPLAY_WINDOW_SECS) {
    throw new InvalidArgumentError(`Expected at most ${MAX_REPLAY_WINDOW_SECS} seconds (30 days).`);
  }
  return parsed;
}

function listenAddress(value: string): string {
  try {
    parseListen(value);
    return value;
  } catch (error) {
    throw new InvalidArgumentError(`${(error as Error).message}.`);
  }
}

export function registerWatch(program: Command, io: Io): void {
  const command = program
    .command('watch')
    .description(
      'the daemon: apply every new commit of the tracked branch, heal between commits, serve webhooks',
    )
    .option(
      '--listen <ADDRESS>',
      'HTTP address for webhooks and the status API',
      listenAddress,
      '127.0.0.1:7070',
    )
    .option('--no-http', 'serve no HTTP at all')
    .option('--interval <SECONDS>', 'how often a remote repository is fetched', seconds, 60)
    .option('--resync <SECONDS>', 'how often the cluster is checked against the applied commit', seconds, 30)
    .option('--allow-mass-kill', 'apply even plans that kill more than half of the running jobs')
    .option(
      '--mass-kill-window <SECONDS>',
      'the mass-kill guard also sums the kills of the deployments of this long',
      seconds,
      DEFAULT_KILL_WINDOW.ms / 1000,
    )
    .option(
      '--mass-kill-window-commits <N>',
      'the mass-kill guard also sums the kills of this many recent deployments (0: each plan alone)',
      count,
      DEFAULT_KILL_WINDOW.commits,
    )
    .option(
      '--auto-apply <BOOL>',
      'apply new commits as they arrive; false: announce them, apply on request',
      bool,
      true,
    )
    .option('--no-prune', 'leave running, and report, tasks no commit declares')
    .option('--reminder <SECONDS>', 'an open drift is announced again at most this often', seconds, 4 * 3600)
    .option(
      '--flap-threshold <N>',
      'an instance ending more than N times in the flap window is flapping',
      count,
      3,
    )
    .option('--flap-window <SECONDS>', 'see --flap-threshold', seconds, 600)
    .option('--settle <SECONDS>', 'how long an instance must run before it counts as back', seconds, 10)
    .option(
      '--stuck-after <SECONDS>',
      'a rolling update that moves no instance for this long is stuck',
      seconds,
      900,
    )
    .option(
      '--load-timeout <SECONDS>',
      'loading one commit (parsing and validating its files) may take this long; longer is a rejection',
      seconds,
      DEFAULT_LOAD_TIME_MS / 1000,
    )
    .option(
      '--load-memory <MB>',
      'memory for loading one commit, in its worker thread; more is a rejection',
      positiveInteger,
      DEFAULT_LOAD_MEMORY_MB,
    )
    .option(
      '--notify <KIND=URL>',
      'send deployments and drift to KIND (slack, mattermost, teams, webhook); repeatable; prefer BOREALIS_NOTIFY_<KIND> (flags show in ps)',
      (value: string, previous: string[]) => [...previous, value],
      [] as string[],
    )
    .option(
      '--commit-url <TEMPLATE>',
      'link to a commit in messages, e.g. https://git.example.com/jobs/commit/{sha}',
    )
    .option(
      '--replay-window <SECONDS>',
      'a webhook delivery (its id or its body) seen this recently is refused as a replay',
      replayWindow,
      DEFAULT_REPLAY_WINDOW_SECS,
    )
    .option('--max-connections <N>', 'most open HTTP connections', positiveInteger, DEFAULT_MAX_CONNECTIONS)
    .option(
      '--max-connections-per-client <N>',
      'most open HTTP connections from one address (raise it behind a proxy)',
      positiveInteger,
      DEFAULT_MAX_CONNECTIONS_PER_CLIENT,
    )
    .addOption(notesOption())
    .addOption(
      new Option('--log-format <FORMAT>', 'text, or json: one object per line (time, level, msg, fields)')
        .choices(LOG_FORMATS)
        .default('text'),
    );
  signatureOptions(command).action(async (options: WatchOptions, self: Command) => {
    const { runWatch } = await import('./watch-daemon.js');
    await runWatch(options, self, io);
  });
}
