/**
 * `borealis cron start JOB`: ask the leading reconciler to start a run now (POST
 * /api/cron/start; the cron scheduler runs in `borealis watch`, on the leader only).
 * `borealis cron history JOB [-o json]`: the job's recorded runs, newest first, from its
 * cron record (`borealis history` stays the deployment log).
 */
import type { Command } from 'commander';
import { CronRecords } from '../cron/records.js';
import type { CronRun } from '../cron/types.js';
import { BorealisError, EXIT } from '../errors.js';
import { cronRunStatus, newestFirst, type CronRunStatus } from '../status/cron-status.js';
import { leaderUrl } from './compose/leader-address.js';
import { localDir } from './compose/local-dir.js';
import { openRecords } from './compose/open-records.js';
import { zkAuth } from './compose/zookeeper.js';
import { globalOptions, type GlobalOptions } from './global-options.js';
import type { Io } from './io.js';
import { positiveInteger } from './option-values.js';
import { outputOption, type Output } from './output.js';
import { formatRun } from './status.js';

/** Exit status of `cron start` when the leader started no run (skipped or paused). */
export const EXIT_NOT_STARTED = 3;

export const CRON_HISTORY_FORMAT = 1;

/** A leader answers in well under a second: it records the run and returns. */
const TIMEOUT_MS = 10_000;

const JOB_ARGUMENT = 'the cron job: cluster/role/environment/name, or role/environment/name on --cluster';

export function registerCron(program: Command, io: Io): void {
  const cron = program.command('cron').description('cron jobs: start a run now, list recorded runs');
  cron
    .command('start')
    .description(
      'start a run of a cron job now, under its collision policy (asks the leading `borealis watch`)',
    )
    .argument('<JOB>', JOB_ARGUMENT)
    .action(async (job: string, _options: unknown, command: Command) => {
      const global = globalOptions(command);
      const id = jobId(job, global.cluster);
      io.stdout.write(`started run ${await startRun(global, id)} of ${id}\n`);
    });
  cron
    .command('history')
    .description("a cron job's recorded runs, newest first")
    .argument('<JOB>', JOB_ARGUMENT)
    .option('-n, --limit <N>', 'how many runs to list', positiveInteger, 20)
    .addOption(outputOption(['text', 'json']))
    .action(async (job: string, options: { limit: number; output: Output }, command: Command) => {
      const global = globalOptions(command);
      const id = jobId(job, global.cluster);
      const runs = (await recordedRuns(global, id)).slice(0, options.limit);
      const now = Date.now();
      const shown = runs.map((run) => historyRun(run, now));
      io.stdout.write(
        options.output === 'json'
          ? `${JSON.stringify({ format_version: CRON_HISTORY_FORMAT, job: id, runs: shown }, null, 2)}\n`
          : renderRuns(shown),
      );
    });
}

/** `cluster/role/environment/name` as given, or `role/environment/name` on the chosen cluster. */
export function jobId(job: string, cluster: string): string {
  const parts = job.split('/');
  if (parts.some((part) => part === '') || (parts.length !== 3 && parts.length !== 4))
    throw new BorealisError('BAD_TARGET', `${job}: expected a job, e.g. www-data/prod/backup`, {
      hint: 'name it cluster/role/environment/name, or role/environment/name with --cluster',
    });
  return parts.length === 4 ? job : `${cluster}/${job}`;
}

/** A run as `cron history` shows it: as in `status`, with each instance's task. */
export interface CronHistoryRun extends CronRunStatus {
  instances: { instance: number; task_id: string; failures: number; ended?: string }[];
}

function historyRun(run: CronRun, now: number): CronHistoryRun {
  return {
    ...cronRunStatus(run, now),
    instances: run.instances.map((instance) => ({
      instance: instance.instance,
      task_id: instance.taskId,
      failures: instance.failures,
      ...(instance.ended ? { ended: instance.ended } : {}),
    })),
  };
}

async function recordedRuns(global: GlobalOptions, id: string): Promise<CronRun[]> {
  const records = await openRecords(global);
  try {
    const found = await new CronRecords(records.store).get(id);
    if (found) return newestFirst(found.state.runs);
    const job = (await records.jobs()).find((recorded) => recorded.id === id);
    if (job?.config.cron_schedule !== undefined) return [];
    throw new BorealisError('UNKNOWN_JOB', `no cron job ${id} is recorded`, {
      hint: '`borealis status` lists the jobs; a cron job has cron_schedule',
    });
  } finally {
    await records.store.close();
  }
}

function renderRuns(runs: readonly CronHistoryRun[]): string {
  if (runs.length === 0) return 'No runs recorded yet.\n';
  return `${runs.map(formatRun).join('\n')}\n`;
}

async function startRun(global: GlobalOptions, job: string): Promise<string> {
  const token = process.env.BOREALIS_API_TOKEN;
  if (!token)
    throw new BorealisError('API_UNAUTHORIZED', 'BOREALIS_API_TOKEN is not set', {
      hint: 'set it to the token the leading `borealis watch` was started with',
    });
  const found = await leaderUrl({ state: global.state, localDir: localDir(global), auth: zkAuth() });
  if ('none' in found)
    throw new BorealisError('NO_DAEMON', `no reconciler to start ${job}: ${found.none}`, {
      hint: '`borealis watch --listen ADDRESS` runs cron jobs; start it, with BOREALIS_API_TOKEN set',
    });
  const url = `${found.url.replace(/\/+$/, '')}/api/cron/start`;
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ job }),
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch (error) {
    throw new BorealisError('NO_DAEMON', `the leader at ${url} did not answer: ${(error as Error).message}`, {
      hint: 'is `borealis watch` still running? `borealis status` names the leader',
    });
  }
  const body = (await response.json().catch(() => ({}))) as {
    outcome?: string;
    run_id?: string;
    error?: string;
  };
  if (response.status === 202 && typeof body.run_id === 'string') return body.run_id;
  throw refusal(response.status, body, job);
}

/** Why the leader started no run, as the one-line error an operator can act on. */
function refusal(status: number, body: { outcome?: string; error?: string }, job: string): BorealisError {
  const why = body.error ?? `HTTP ${status}`;
  switch (status === 409 || status === 404 ? body.outcome : status) {
    case 'skipped':
      return new BorealisError('CRON_SKIPPED', `no run of ${job} started: ${why}`, {
        hint: 'its collision policy is CANCEL_NEW: wait for the run going (`borealis status JOB`)',
        exitCode: EXIT_NOT_STARTED,
      });
    case 'paused':
      return new BorealisError('CRON_PAUSED', `no run of ${job} started: ${why}`, {
        hint: 'set cron_paused: false in its job file and push it',
        exitCode: EXIT_NOT_STARTED,
      });
    case 'unknown':
      return new BorealisError('UNKNOWN_JOB', why, {
        hint: '`borealis status` lists the jobs; a cron job has cron_schedule',
      });
    case 'not_leader':
      return new BorealisError('NOT_LEADER', why, {
        hint: 'ask again: the leader may have changed meanwhile',
      });
    case 401:
    case 403:
      return new BorealisError('API_UNAUTHORIZED', why, {
        hint: 'set BOREALIS_API_TOKEN to the token the leading `borealis watch` was started with',
      });
    case 503:
      return new BorealisError('CRON_UNAVAILABLE', why, {
        hint: 'a `borealis watch` that leads runs cron jobs',
      });
    default:
      return new BorealisError('API_FAILED', `the leader answered ${status}: ${why}`, {
        exitCode: EXIT.failure,
      });
  }
}
