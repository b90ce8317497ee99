/**
 * What the daemon tells people, built from its records: a deployment worth hearing about
 * (it changed something, failed, rolled back or was rejected; a commit that changed
 * nothing is news to nobody) and each drift change. Pure: the daemon decides when.
 */
import type { DriftChange } from '../drift/transitions.js';
import type { CommitSummary, DeploymentEvent, DeploymentStatus, DriftEvent } from '../notify/events.js';
import { hasWork, summaryLine } from '../plan/describe.js';
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
  if (!hasWork(plan)) return undefined;
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
  if (status === 'succeeded' && (!record.plan || !hasWork(record.plan))) return undefined;
  const event: DeploymentEvent = { type: 'deployment', status, cluster: record.cluster, commit, at };
  if (record.plan) event.summary = summaryLine(record.plan);
  if (record.reason) event.reason = record.reason;
  if (record.detail) event.detail = record.detail;
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

/** At most this many instance numbers are listed in one grouped message. */
const INSTANCES_LISTED = 20;

/**
 * Changes of the same kind, job and status found in one look are one message: an agent lost
 * with forty instances is one `missing` message naming them, not forty. Drifts keep their
 * per-instance identity in the records; only the announcement is grouped.
 */
export function groupChanges(changes: readonly DriftChange[]): DriftChange[] {
  const groups = new Map<string, DriftChange[]>();
  for (const change of changes) {
    const key = `${change.status}|${change.drift.kind}|${change.drift.job}`;
    groups.set(key, [...(groups.get(key) ?? []), change]);
  }
  return [...groups.values()].map((group) => (group.length === 1 ? group[0]! : merged(group)));
}

function merged(group: readonly DriftChange[]): DriftChange {
  const [first] = group as [DriftChange, ...DriftChange[]];
  const others = group
    .slice(1)
    .flatMap((change) => (change.drift.instance === undefined ? [] : [change.drift.instance]));
  const listed = others.slice(0, INSTANCES_LISTED).join(', ');
  const more = others.length > INSTANCES_LISTED ? ` and ${others.length - INSTANCES_LISTED} more` : '';
  const { instance: _instance, ...drift } = first.drift;
  return {
    status: first.status,
    drift: {
      ...drift,
      id: `${drift.kind}:${drift.job}`,
      detail: `${first.drift.detail}; the same for instance${others.length === 1 ? '' : 's'} ${listed}${more}`,
      since: Math.min(...group.map((change) => change.drift.since)),
    },
  };
}
