/** `borealis status [JOB] [-o json]`: every job, its instances, and whether it is in sync. */
import type { Command } from 'commander';
import { noticeTo, type Io } from './io.js';
import { BorealisError } from '../errors.js';
import {
  statusReport,
  type HealthStatus,
  type InstanceStatus,
  type JobStatus,
  type SyncStatus,
} from '../status/job-status.js';
import type { CronRunStatus, CronStatus } from '../status/cron-status.js';
import type { CandidateInfo } from '../zookeeper/election.js';
import { isZkUrl } from '../zookeeper/url.js';
import { openCluster } from './compose/cluster-choice.js';
import { headClusterConfig } from './compose/cluster-config.js';
import { openRecords } from './compose/open-records.js';
import { electedLeader, zkAuth } from './compose/zookeeper.js';
import { globalOptions, type GlobalOptions } from './global-options.js';
import { outputOption, type Output } from './output.js';

export function registerStatus(program: Command, io: Io): void {
  program
    .command('status')
    .description('what runs: every job with its instances, health, configuration and sync state')
    .argument(
      '[JOB]',
      'only this job (cluster/role/environment/name, or a unique suffix such as role/env/name)',
    )
    .addOption(outputOption(['text', 'json']))
    .action(async (job: string | undefined, options: { output: Output }, command: Command) => {
      const global = globalOptions(command);
      const config = await headClusterConfig(global);
      const records = await openRecords(global);
      const cluster = openCluster(global, config, records.store, noticeTo(io));
      try {
        const report = await statusReport(records, cluster, global.cluster);
        if (!config) checkRecordedCluster(global.cluster, report.jobs);
        const statuses = filterJob(report.jobs, job);
        const leader = await leaderOf(global);
        const json = {
          format_version: report.format_version,
          applied_commit: report.applied_commit,
          applied_at: report.applied_at,
          cluster: report.cluster,
          ...(leader === undefined ? {} : { leader }),
          jobs: statuses,
        };
        const out =
          options.output === 'json'
            ? `${JSON.stringify(json, null, 2)}\n`
            : `${leader === undefined ? '' : `Leader: ${describeLeader(leader)}\n`}${renderText(statuses, report.applied_commit ?? undefined)}`;
        io.stdout.write(out);
      } finally {
        await cluster.close();
        await records.store.close();
      }
    });
}

/** With state in ZooKeeper, who leads the reconcilers (undefined: there is no election). */
async function leaderOf(global: GlobalOptions): Promise<CandidateInfo | null | undefined> {
  if (!isZkUrl(global.state)) return undefined;
  return electedLeader(global.state, { auth: zkAuth() });
}

/**
 * Without a clusters.yaml to ask (none at the job root, or no repository), the records
 * still say which clusters this state has jobs on: another name is a mistake.
 */
function checkRecordedCluster(cluster: string, jobs: readonly JobStatus[]): void {
  const recorded = [...new Set(jobs.map((job) => job.job.split('/')[0]))];
  if (recorded.length === 0 || recorded.includes(cluster)) return;
  throw new BorealisError(
    'UNKNOWN_CLUSTER',
    `no cluster named "${cluster}": no clusters.yaml at the job root, and this state has jobs on ${recorded.join(', ')}`,
    { hint: 'choose one with --cluster NAME, or pass --path with the job root that holds clusters.yaml' },
  );
}

function describeLeader(leader: CandidateInfo | null): string {
  if (!leader) return 'none (no reconciler is running)';
  return `${leader.host} (pid ${leader.pid}, since ${leader.started_at})${leader.listen ? `, HTTP ${leader.listen}` : ''}`;
}

function filterJob(statuses: JobStatus[], job: string | undefined): JobStatus[] {
  if (!job) return statuses;
  const found = statuses.filter((status) => status.job === job || status.job.endsWith(`/${job}`));
  if (found.length === 0) throw new BorealisError('UNKNOWN_JOB', `no job ${job} is recorded or running`);
  return found;
}

const SYNC_WORDS: Record<SyncStatus, string> = { synced: 'synced', out_of_sync: 'OUT OF SYNC', held: 'HELD' };
const HEALTH_WORDS: Record<HealthStatus, string> = {
  healthy: 'healthy',
  progressing: 'PROGRESSING',
  degraded: 'DEGRADED',
  missing: 'MISSING',
};

function renderText(statuses: JobStatus[], appliedCommit: string | undefined): string {
  const lines = [appliedCommit ? `Applied commit ${appliedCommit.slice(0, 12)}` : 'Nothing applied yet', ''];
  const width = Math.max(0, ...statuses.map((status) => status.job.length));
  for (const status of statuses) {
    lines.push(jobLine(status, width));
    lines.push(...verdictDetails(status));
    if (status.cron) lines.push(...cronLines(status.cron));
    for (const instance of status.instances) lines.push(`  ${formatInstance(instance)}`);
    for (const drift of status.drift ?? [])
      lines.push(`  drift ${drift.kind}: ${drift.detail} (since ${drift.since})`);
  }
  if (statuses.length === 0) lines.push('No jobs.');
  return `${lines.join('\n')}\n`;
}

/** Why a job is not synced or not healthy; one line when both verdicts have the same cause. */
function verdictDetails(status: JobStatus): string[] {
  const sync = status.sync === 'synced' ? undefined : status.sync_detail;
  const health = status.health === 'healthy' ? undefined : status.health_detail;
  if (sync !== undefined && sync === health) return [`  ${sync}`];
  return [
    ...(sync === undefined ? [] : [`  sync: ${sync}`]),
    ...(health === undefined ? [] : [`  health: ${health}`]),
  ];
}

function jobLine(status: JobStatus, width: number): string {
  const finished = status.instances_finished ? `, ${status.instances_finished} finished` : '';
  const count = status.cron
    ? `cron, ${status.instances_desired} instance${status.instances_desired === 1 ? '' : 's'} a run`
    : `${status.instances_running}/${status.instances_desired} running${finished}`;
  return [
    status.job.padEnd(width),
    SYNC_WORDS[status.sync].padEnd(11),
    HEALTH_WORDS[status.health].padEnd(11),
    count,
    `config ${status.config ?? status.update?.config ?? '-'}`,
  ].join('  ');
}

function cronLines(cron: CronStatus): string[] {
  const policy = cron.collision_policy ? `, ${cron.collision_policy}` : '';
  const when = !cron.scheduled
    ? 'descheduled'
    : cron.paused
      ? 'PAUSED'
      : `next run ${cron.next_run_at ?? 'never'}`;
  const lines = [`  schedule  ${cron.schedule} (${cron.timezone})${policy}; ${when}`];
  if (cron.running) lines.push(`  running   ${cron.running}`);
  cron.last_runs.forEach((run, index) =>
    lines.push(`  ${index === 0 ? 'runs' : ''}`.padEnd(12) + formatRun(run)),
  );
  return lines;
}

/** One run of a cron job, as `status` and `cron history` print it. */
export function formatRun(run: CronRunStatus): string {
  const took = run.duration_secs === undefined ? '' : formatDuration(run.duration_secs * 1000);
  const missed =
    run.missed_count === undefined ? '' : `${run.missed_count} tick(s) to ${run.missed_latest_at}`;
  return [
    // `schedule-20261208T030000Z`, the longest common id, so the columns line up.
    run.id.padEnd(25),
    run.trigger.padEnd(8),
    run.scheduled_at,
    run.outcome.padEnd(9),
    took,
    missed,
    run.detail ?? '',
  ]
    .filter((part) => part !== '')
    .join('  ');
}

function formatInstance(instance: InstanceStatus): string {
  const health = instance.healthy === undefined ? '' : instance.healthy ? 'healthy' : 'UNHEALTHY';
  const ports = Object.entries(instance.ports ?? {})
    .map(([name, port]) => `${name}=${port}`)
    .join(' ');
  const uptime =
    instance.uptime_secs === undefined ? '' : `for ${formatDuration(instance.uptime_secs * 1000)}`;
  const why = instance.message ?? instance.reason ?? '';
  return [
    String(instance.instance).padStart(3),
    instance.state.padEnd(8),
    health.padEnd(9),
    instance.config ?? '',
    uptime,
    ports,
    why,
  ]
    .filter((part) => part !== '')
    .join('  ');
}

export function formatDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m${seconds % 60}s`;
  return `${Math.floor(seconds / 3600)}h${Math.floor((seconds % 3600) / 60)}m`;
}
