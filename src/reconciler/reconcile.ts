/**
 * One reconciliation pass, the pipeline end to end: the commit's jobs (spec) are planned
 * against the cluster (observe) and the records (recorded), then the plan is carried out
 * (deploy), which records as it goes. Level-triggered: whatever woke it, the pass is the
 * same, and running it again on the same commit changes nothing.
 */
import type { Cluster, ObservedTask } from '../cluster/types.js';
import { executePlan, type DeployOptions, type DeployResult } from '../deploy/executor.js';
import { BorealisError } from '../errors.js';
import { DEFAULT_BACKOFF } from '../plan/backoff.js';
import { forgettableTasks } from '../plan/history.js';
import { placementWarning, plannedLaunches, releasedTasks } from '../plan/launches.js';
import { plan as purePlan, type Planner } from '../plan/planner.js';
import type { Plan } from '../plan/types.js';
import type { Records } from '../state/records.js';
import type { JobSpec } from '../jobspec/types.js';

export interface PassInput {
  commit: string;
  clusterName: string;
  /** The commit's jobs; those for other clusters are ignored. */
  jobs: readonly JobSpec[];
  cluster: Cluster;
  records: Records;
  now?: () => number;
  /** Try again updates held after failing (an explicit `borealis reconcile`); passes of the daemon do not. */
  retryHeld?: boolean;
  /** Kill tasks no commit declares (default true; `watch --no-prune` leaves them running). */
  prune?: boolean;
  /** The pure `plan` by default; the daemon hands its incremental planner, which it keeps across passes. */
  planner?: Planner;
  /** The tasks, when the pass read them already (a resync reads them once for drift and plan). */
  observed?: readonly ObservedTask[];
}

export async function planPass(input: PassInput): Promise<Plan> {
  const now = input.now ?? Date.now;
  const [observed, recorded] = await Promise.all([
    input.observed ?? input.cluster.snapshot(),
    input.records.jobs(),
  ]);
  const desired = jobsFor(input.jobs, input.clusterName);
  const planner = input.planner ?? purePlan;
  const planned = planner({
    commit: input.commit,
    cluster: input.clusterName,
    desired,
    observed,
    recorded,
    now: now(),
    retryHeld: input.retryHeld,
    prune: input.prune,
  });
  const placement = await placementWarnings(input.cluster, planned, desired, observed);
  return placement.length > 0 ? { ...planned, warnings: [...planned.warnings, ...placement] } : planned;
}

/** A backend that places tasks itself says which launches would not fit now; never fails the plan. */
async function placementWarnings(
  cluster: Cluster,
  planned: Plan,
  desired: readonly JobSpec[],
  observed: readonly ObservedTask[],
): Promise<string[]> {
  if (!cluster.placementProblems) return [];
  const launches = plannedLaunches(planned, desired);
  if (launches.length === 0) return [];
  try {
    const released = releasedTasks(planned, observed);
    const problems = await cluster.placementProblems(launches, released);
    return problems.map(placementWarning);
  } catch (error) {
    return [
      `cannot tell whether the plan fits the cluster: ${error instanceof Error ? error.message : String(error)}`,
    ];
  }
}

/** The executor's hooks, declared once there (`DeployOptions`), and the guard's override. */
export interface ApplyOptions extends Pick<DeployOptions, 'onProgress' | 'signal' | 'halt' | 'beforeKill'> {
  allowMassKill?: boolean;
}

export async function applyPass(
  input: PassInput,
  planned: Plan,
  options: ApplyOptions = {},
): Promise<DeployResult> {
  if (planned.massKill && !options.allowMassKill) {
    throw new BorealisError('MASS_KILL_REFUSED', `refused: ${planned.massKill.message}`, { exitCode: 1 });
  }
  return executePlan(planned, jobsFor(input.jobs, input.clusterName), {
    cluster: input.cluster,
    records: input.records,
    now: input.now,
    onProgress: options.onProgress,
    signal: options.signal,
    halt: options.halt,
    beforeKill: options.beforeKill,
  });
}

/** Lets the cluster forget ended tasks the planner no longer needs (see `forgettableTasks`). */
export async function forgetHistory(input: PassInput): Promise<number> {
  const now = (input.now ?? Date.now)();
  const declared = new Set([
    ...jobsFor(input.jobs, input.clusterName).map((job) => job.id),
    ...(await input.records.jobs()).map((job) => job.id),
  ]);
  const forget = forgettableTasks(await input.cluster.snapshot(), declared, now, DEFAULT_BACKOFF.windowMs);
  if (forget.length > 0) await input.cluster.forget(forget);
  return forget.length;
}

export function jobsFor(jobs: readonly JobSpec[], clusterName: string): JobSpec[] {
  return jobs.filter((job) => job.key.cluster === clusterName);
}
