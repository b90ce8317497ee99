/**
 * What carrying out a plan would start and stop, as a backend needs it to say whether the
 * plan fits (`Cluster.placementProblems`): the instances launched (created, added,
 * replaced or relaunched) and the tasks killed, whose resources come free.
 */
import {
  isTerminal,
  type ObservedTask,
  type PlacementProblem,
  type PlannedLaunch,
} from '../cluster/types.js';
import type { JobId, JobSpec } from '../spec/types.js';
import { formatRanges } from './describe.js';
import type { Plan } from './types.js';

export function plannedLaunches(plan: Plan, desired: readonly JobSpec[]): PlannedLaunch[] {
  const jobs = new Map(desired.map((job) => [job.id, job]));
  return plan.changes.flatMap((change) => {
    const job = jobs.get(change.job);
    if (!job) return [];
    const { add, update, heal } = change.instances;
    return [...add, ...update, ...heal].map((instance) => ({
      jobId: job.id,
      instance,
      config: job.instance,
    }));
  });
}

/** Live tasks the plan kills: the instances it replaces or removes, duplicates, orphans, dropped jobs. */
export function releasedTasks(
  plan: Plan,
  observedByJob: ReadonlyMap<JobId, readonly ObservedTask[]>,
): string[] {
  const released = new Set(plan.changes.flatMap((change) => change.killTasks));
  for (const change of plan.changes) {
    const replaced = new Set([...change.instances.update, ...change.instances.remove]);
    if (replaced.size === 0) continue;
    for (const task of observedByJob.get(change.job) ?? []) {
      if (!isTerminal(task.state) && replaced.has(task.instance)) released.add(task.taskId);
    }
  }
  return [...released];
}

export function placementWarning(problem: PlacementProblem): string {
  const count = problem.instances.length;
  return `${problem.jobId}: ${count === 1 ? 'instance' : `${count} instances`} [${formatRanges(problem.instances)}] cannot be placed on the cluster now (${problem.reasons.join('; ')}); they will wait for resources`;
}
