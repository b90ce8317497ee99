/**
 * The plan as Borealis prints and serves it (`plan -o json`, GET /api/plan, a deployment's
 * plan in `history -o json`), described by schemas/plan.schema.json. The internal Plan stays
 * camelCase with epoch milliseconds; this is the one place that maps it to the published
 * convention (snake_case keys, ISO 8601 UTC times) and back, for a plan read from a leader.
 */
import { visibleChanges } from './describe.js';
import type { PlanSource } from './source.js';
import {
  PLAN_FORMAT_VERSION,
  type Action,
  type CronPlan,
  type FieldChange,
  type HeldUpdate,
  type InstanceSets,
  type JobChange,
  type Plan,
  type PlanSummary,
} from './types.js';

/**
 * 3: the cron actions (schedule, reschedule, deschedule) and a change's `cron`, which a
 * reader of 2 would not know; 2: snake_case keys and ISO times (1 was a string beside
 * camelCase keys and epoch milliseconds).
 */
export const PLAN_DOCUMENT_VERSION = 3;

export interface HeldUpdateDocument {
  config_hash: string;
  commit: string;
  outcome: HeldUpdate['outcome'];
  at: string;
  reason?: string;
}

export interface ConfigSideDocument {
  config_hash: string;
  instances: number;
}

export interface CronPlanDocument {
  schedule: string;
  timezone: string;
  collision_policy: CronPlan['collisionPolicy'];
  paused: boolean;
  next_runs: string[];
}

export interface JobChangeDocument {
  job: string;
  action: Action;
  held?: HeldUpdateDocument;
  instances: InstanceSets;
  kill_tasks: string[];
  deferred: { instance: number; retry_at: string }[];
  diff: FieldChange[];
  from?: ConfigSideDocument;
  to?: ConfigSideDocument;
  cron?: CronPlanDocument;
}

export interface PlanDocument {
  format_version: typeof PLAN_DOCUMENT_VERSION;
  commit: string;
  /** Present when the plan is of uncommitted files; already in the published convention. */
  source?: PlanSource;
  cluster: string;
  changes: JobChangeDocument[];
  summary: PlanSummary;
  mass_kill?: { killed: number; running: number; message: string };
  warnings: string[];
  next_wake_at?: string;
}

/** Published times are ISO 8601 UTC, to the millisecond. */
export const isoTime = (ms: number): string => new Date(ms).toISOString();

/** Noop jobs are counted in the summary only (unless a relaunch of theirs is deferred). */
export function toPlanDocument(plan: Plan): PlanDocument {
  return {
    format_version: PLAN_DOCUMENT_VERSION,
    commit: plan.commit,
    ...(plan.source && { source: plan.source }),
    cluster: plan.cluster,
    changes: visibleChanges(plan).map(toChangeDocument),
    summary: plan.summary,
    ...(plan.massKill && { mass_kill: plan.massKill }),
    warnings: plan.warnings,
    ...(plan.nextWakeAt !== undefined && { next_wake_at: isoTime(plan.nextWakeAt) }),
  };
}

function toChangeDocument(change: JobChange): JobChangeDocument {
  const side = (value: { configHash: string; instances: number }) => ({
    config_hash: value.configHash,
    instances: value.instances,
  });
  return {
    job: change.job,
    action: change.action,
    ...(change.held && { held: toHeldDocument(change.held) }),
    instances: change.instances,
    kill_tasks: change.killTasks,
    deferred: change.deferred.map(({ instance, retryAt }) => ({ instance, retry_at: isoTime(retryAt) })),
    diff: change.diff,
    ...(change.from && { from: side(change.from) }),
    ...(change.to && { to: side(change.to) }),
    ...(change.cron && { cron: toCronDocument(change.cron) }),
  };
}

function toCronDocument(cron: CronPlan): CronPlanDocument {
  return {
    schedule: cron.schedule,
    timezone: cron.timezone,
    collision_policy: cron.collisionPolicy,
    paused: cron.paused,
    next_runs: cron.nextRuns.map(isoTime),
  };
}

function fromCronDocument(cron: CronPlanDocument): CronPlan {
  return {
    schedule: cron.schedule,
    timezone: cron.timezone,
    collisionPolicy: cron.collision_policy,
    paused: cron.paused,
    nextRuns: cron.next_runs.map((at) => Date.parse(at)),
  };
}

function toHeldDocument(held: HeldUpdate): HeldUpdateDocument {
  return {
    config_hash: held.configHash,
    commit: held.commit,
    outcome: held.outcome,
    at: isoTime(held.at),
    ...(held.reason !== undefined && { reason: held.reason }),
  };
}

/** The Plan a document describes; a leader's answer is checked for its version before this. */
export function fromPlanDocument(document: PlanDocument): Plan {
  return {
    format_version: PLAN_FORMAT_VERSION,
    commit: document.commit,
    ...(document.source && { source: document.source }),
    cluster: document.cluster,
    changes: document.changes.map(fromChangeDocument),
    summary: document.summary,
    ...(document.mass_kill && { massKill: document.mass_kill }),
    warnings: document.warnings,
    ...(document.next_wake_at !== undefined && { nextWakeAt: Date.parse(document.next_wake_at) }),
  };
}

function fromChangeDocument(change: JobChangeDocument): JobChange {
  const side = (value: ConfigSideDocument) => ({ configHash: value.config_hash, instances: value.instances });
  return {
    job: change.job,
    action: change.action,
    ...(change.held && { held: fromHeldDocument(change.held) }),
    instances: change.instances,
    killTasks: change.kill_tasks,
    deferred: change.deferred.map(({ instance, retry_at }) => ({ instance, retryAt: Date.parse(retry_at) })),
    diff: change.diff,
    ...(change.from && { from: side(change.from) }),
    ...(change.to && { to: side(change.to) }),
    ...(change.cron && { cron: fromCronDocument(change.cron) }),
  };
}

function fromHeldDocument(held: HeldUpdateDocument): HeldUpdate {
  return {
    configHash: held.config_hash,
    commit: held.commit,
    outcome: held.outcome,
    at: Date.parse(held.at),
    ...(held.reason !== undefined && { reason: held.reason }),
  };
}
