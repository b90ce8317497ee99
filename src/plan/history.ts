/**
 * Which ended tasks the cluster may forget. Ended tasks are the planner's memory — a batch
 * instance that FINISHED must not run again, and recent failures set the relaunch
 * back-off — so per declared instance the newest ended task and every one inside the
 * back-off window are kept; everything else, and anything of a job no longer declared,
 * is forgotten once it is older than the window. Tasks of cron runs are the cron
 * scheduler's to forget, with its run history: they are never named here.
 */
import { isTerminal, type ObservedTask } from '../cluster/types.js';
import type { JobId } from '../jobspec/types.js';

export function forgettableTasks(
  tasks: readonly ObservedTask[],
  declared: ReadonlySet<JobId>,
  now: number,
  windowMs: number,
): string[] {
  const mine = tasks.filter((task) => task.cronRun === undefined);
  const ended = mine.filter((task) => isTerminal(task.state) && now - task.updatedAt >= windowMs);
  const newestEnded = new Map<string, ObservedTask>();
  for (const task of mine.filter((t) => isTerminal(t.state))) {
    const key = `${task.jobId}#${task.instance}`;
    const newest = newestEnded.get(key);
    if (!newest || task.updatedAt > newest.updatedAt) newestEnded.set(key, task);
  }
  return ended
    .filter((task) => !declared.has(task.jobId) || newestEnded.get(`${task.jobId}#${task.instance}`) !== task)
    .map((task) => task.taskId)
    .sort();
}
