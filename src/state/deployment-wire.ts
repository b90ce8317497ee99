/**
 * The deployment log as Borealis prints and serves it (`history -o json`, GET
 * /api/deployments), described by schemas/history.schema.json and
 * schemas/deployment.schema.json. The stored records keep their own format (readable by every
 * state directory written so far); this maps a record to the published convention at output
 * time: snake_case keys, ISO 8601 UTC times, the plan as a plan document.
 */
import { isoTime, toPlanDocument, type PlanDocument } from '../plan/wire.js';
import type { DeploymentRecord, JobResultRecord, Person } from './deployments.js';

/**
 * 3: `reason` is a code (deployment-reasons.ts), its sentence `detail`; jobs have a `reason`.
 * 2: versioned at the top, ISO event times, the plan in plan document form 2 (1 was each record's `format`).
 * The plan carries its own `format_version` (3 since the cron actions), so a new plan form
 * does not change this one.
 */
export const HISTORY_DOCUMENT_VERSION = 3;

export interface JobEventDocument {
  at: string;
  instance?: number;
  event: string;
  detail?: string;
}

export interface JobResultDocument extends Omit<JobResultRecord, 'events'> {
  events: JobEventDocument[];
}

/** A stored record's fields but its `format` (the store's own); `date` in UTC. */
export interface DeploymentDocument extends Omit<DeploymentRecord, 'format' | 'plan' | 'jobs' | 'attempt'> {
  plan?: PlanDocument;
  jobs: JobResultDocument[];
}

export interface HistoryListDocument {
  format_version: typeof HISTORY_DOCUMENT_VERSION;
  deployments: DeploymentDocument[];
}

export interface HistoryOneDocument {
  format_version: typeof HISTORY_DOCUMENT_VERSION;
  deployment: DeploymentDocument;
}

/** The log, newest first, as `history -o json` and GET /api/deployments answer it. */
export function historyListDocument(records: readonly DeploymentRecord[]): HistoryListDocument {
  return { format_version: HISTORY_DOCUMENT_VERSION, deployments: records.map(toDeploymentDocument) };
}

/** One deployment, as `history COMMIT -o json` prints it. */
export function historyOneDocument(record: DeploymentRecord): HistoryOneDocument {
  return { format_version: HISTORY_DOCUMENT_VERSION, deployment: toDeploymentDocument(record) };
}

export function toDeploymentDocument(record: DeploymentRecord): DeploymentDocument {
  return {
    sequence: record.sequence,
    commit: record.commit,
    parent_applied: record.parent_applied,
    author: person(record.author),
    committer: person(record.committer),
    // Recorded with the committer's offset; published times are UTC.
    date: isoTime(Date.parse(record.date)),
    message: record.message,
    signature: toSignatureDocument(record.signature),
    trigger: record.trigger,
    cluster: record.cluster,
    outcome: record.outcome,
    ...(record.reason !== undefined && { reason: record.reason }),
    ...(record.detail !== undefined && { detail: record.detail }),
    ...(record.superseded_by !== undefined && { superseded_by: record.superseded_by }),
    ...(record.plan && { plan: toPlanDocument(record.plan) }),
    ...(record.planned_at !== undefined && { planned_at: record.planned_at }),
    jobs: record.jobs.map(toJobResultDocument),
    errors: record.errors.map(({ file, line, column, path, message }) => ({
      file,
      line,
      column,
      path,
      message,
    })),
    ...(record.error && { error: { code: record.error.code, message: record.error.message } }),
    started_at: record.started_at,
    finished_at: record.finished_at,
  };
}

const person = ({ name, email }: Person): Person => ({ name, email });

function toSignatureDocument(signature: DeploymentRecord['signature']): DeploymentRecord['signature'] {
  const { status, trusted, detail, format, signer, key } = signature;
  return {
    status,
    trusted,
    detail,
    ...(format !== undefined && { format }),
    ...(signer !== undefined && { signer }),
    ...(key !== undefined && { key }),
  };
}

function toJobResultDocument(job: JobResultRecord): JobResultDocument {
  return {
    job: job.job,
    action: job.action,
    result: job.result,
    ...(job.reason !== undefined && { reason: job.reason }),
    ...(job.message !== undefined && { message: job.message }),
    events: job.events.map(({ at, instance, event, detail }) => ({
      at: isoTime(at),
      ...(instance !== undefined && { instance }),
      event,
      ...(detail !== undefined && { detail }),
    })),
  };
}
