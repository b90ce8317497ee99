/**
 * What the daemon tells people, built from its records: a deployment worth hearing about
 * (it changed something, failed, rolled back or was rejected; a commit that changed
 * nothing is news to nobody) and each drift change. Pure: the daemon decides when.
 */
import type { DriftChange } from '../drift/transitions.js';
import type { CommitSummary, DeploymentEvent, DeploymentStatus, DriftEvent } from '../notify/events.js';
import { hasChanges, summaryLine } from '../plan/describe.js';
import type { Plan } from '../plan/types.js';
import type { CommitInfo } from '../source/tracked.js';
import type { DeploymentRecord } from '../state/deployments.js';

/** Validation problems a rejected commit's message lists before "and N more". */
const PROBLEMS_SHOWN = 5;

export function commitSummary(info: CommitInfo, url?: string): CommitSummary {
  const summary: CommitSummary = {
    sha: info.id,
    title: info.message.split('\n')[0] ?? '',
    author: info.author,
  };
  if (url) summary.url = url;
  return summary;
}

export function startedEvent(plan: Plan, commit: CommitSummary, at: number): DeploymentEvent | undefined {
  if (!hasChanges(plan)) return undefined;
  return {
    type: 'deployment',
    status: 'started',
    cluster: plan.cluster,
    commit,
    summary: summaryLine(plan),
    at,
  };
}

const FINISHED: Partial<Record<DeploymentRecord['outcome'], DeploymentStatus>> = {
  succeeded: 'succeeded',
  failed: 'failed',
  rolled_back: 'rolled_back',
  rejected: 'rejected',
};

/** The end of a deployment, when it is worth a message. */
export function finishedEvent(
  record: DeploymentRecord,
  commit: CommitSummary,
  at: number,
): DeploymentEvent | undefined {
  const status = FINISHED[record.outcome];
  if (!status) return undefined; // noop, superseded, still in progress
  if (status === 'succeeded' && (!record.plan || !hasChanges(record.plan))) return undefined;
  const event: DeploymentEvent = { type: 'deployment', status, cluster: record.cluster, commit, at };
  if (record.plan) event.summary = summaryLine(record.plan);
  if (record.reason) event.reason = record.reason;
  if (record.errors.length > 0) event.problems = problemLines(record);
  const jobs = record.jobs
    .filter((job) => job.result !== 'succeeded' || status === 'succeeded')
    .map((job) => `${job.job}: ${job.result.replace('_', ' ')}${job.message ? ` (${job.message})` : ''}`);
  if (jobs.length > 0) event.jobs = jobs;
  return event;
}

function problemLines(record: DeploymentRecord): string[] {
  const lines = record.errors
    .slice(0, PROBLEMS_SHOWN)
    .map((p) => `${p.file}:${p.line}:${p.column}: ${p.path ? `${p.path}: ` : ''}${p.message}`);
  const more = record.errors.length - PROBLEMS_SHOWN;
  return more > 0 ? [...lines, `and ${more} more`] : lines;
}

export function driftEvent(
  change: DriftChange,
  cluster: string,
  at: number,
  commit?: CommitSummary,
): DriftEvent {
  const { drift, status } = change;
  const event: DriftEvent = {
    type: 'drift',
    status,
    cluster,
    kind: drift.kind,
    id: drift.id,
    job: drift.job,
    detail: drift.detail,
    since: drift.since,
    at,
  };
  if (drift.instance !== undefined) event.instance = drift.instance;
  if (commit) event.commit = commit;
  return event;
}
