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
import type { JobId, JobSpec } from '../jobspec/types.js';
import { groupBy } from '../util/group-by.js';
import { formatRanges } from './describe.js';
import type { JobChange, Plan } from './types.js';

export function plannedLaunches(plan: Plan, desired: readonly JobSpec[]): PlannedLaunch[] {
  // Most passes launch nothing or a few jobs: look up only those among every desired job.
  const launching = plan.changes.filter(launches);
  if (launching.length === 0) return [];
  const wanted = new Set(launching.map((change) => change.job));
  const jobs = new Map<JobId, JobSpec>();
  for (const job of desired) if (wanted.has(job.id)) jobs.set(job.id, job);
  const result: PlannedLaunch[] = [];
  for (const change of launching) {
    const job = jobs.get(change.job);
    if (!job) continue;
    const { add, update, heal } = change.instances;
    for (const instance of [...add, ...update, ...heal])
      result.push({ jobId: job.id, instance, config: job.instance });
  }
  return result;
}

function launches(change: JobChange): boolean {
  const { add, update, heal } = change.instances;
  return add.length + update.length + heal.length > 0;
}

/** Live tasks the plan kills: the instances it replaces or removes, duplicates, orphans, dropped jobs. */
export function releasedTasks(plan: Plan, observed: readonly ObservedTask[]): string[] {
  const replacing = new Map<JobId, Set<number>>();
  for (const { job, instances } of plan.changes) {
    const { update, remove } = instances;
    if (update.length + remove.length > 0) replacing.set(job, new Set([...update, ...remove]));
  }
  const replaced = groupBy(observed, (task) =>
    !isTerminal(task.state) && replacing.get(task.jobId)?.has(task.instance) ? task.jobId : undefined,
  );
  const released = new Set<string>();
  for (const change of plan.changes) {
    for (const taskId of change.killTasks) released.add(taskId);
    for (const task of replaced.get(change.job) ?? []) released.add(task.taskId);
  }
  return [...released];
}

export function placementWarning(problem: PlacementProblem): string {
  const count = problem.instances.length;
  return `${problem.jobId}: ${count === 1 ? 'instance' : `${count} instances`} [${formatRanges(problem.instances)}] cannot be placed on the cluster now (${problem.reasons.join('; ')}); they will wait for resources`;
}
