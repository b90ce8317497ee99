/**
 * Borealis's `ObservedTask`s rebuilt from what the operator API reports, so a cluster can be
 * read without holding the framework's subscription. The labels attached at launch
 * (task-info.ts) say which job instance a task is; the agent says on which host it runs.
 */
import type { ObservedTask } from '../types.js';
import type {
  OperatorAgent,
  OperatorTask,
  OperatorTaskStatus,
  OperatorTaskSummary,
} from './operator-types.js';
import { reportedState } from './status-map.js';
import { LABELS } from './task-info.js';

export interface ObservedTasksOptions {
  /** Epoch ms used as launch and update time of a task with no status yet (just staged). */
  now?: number;
}

/**
 * The tasks of framework `frameworkId` that Borealis launched (they carry `borealis.job`
 * and a whole-number `borealis.instance`), in the Cluster port's terms. Pass every list of
 * GET_TASKS (tasks, unreachable, completed) to see terminal tasks too.
 */
export function observedTasks(
  tasks: readonly OperatorTask[],
  agents: readonly OperatorAgent[],
  frameworkId: string,
  options: ObservedTasksOptions = {},
): ObservedTask[] {
  const hosts = new Map(agents.map((agent) => [agent.agentId, agent.hostname]));
  const now = options.now ?? Date.now();
  const observed: ObservedTask[] = [];
  for (const task of tasks) {
    if (task.frameworkId !== frameworkId) continue;
    const view = observedTask(task, hosts.get(task.agentId) ?? '', now);
    if (view !== undefined) observed.push(view);
  }
  return observed;
}

/** One operator task in the Cluster port's terms; undefined when Borealis did not launch it. */
export function observedTask(task: OperatorTaskSummary, host: string, now: number): ObservedTask | undefined {
  const jobId = task.labels[LABELS.job];
  const instance = task.labels[LABELS.instance];
  if (jobId === undefined || instance === undefined || !/^\d+$/.test(instance)) return undefined;
  const latest = task.latestStatus;
  const observed: ObservedTask = {
    taskId: task.taskId,
    jobId,
    instance: Number(instance),
    configHash: task.labels[LABELS.config] ?? '',
    commit: task.labels[LABELS.commit] ?? '',
    state: reportedState(task.state, task.hasHealthCheck, latest?.healthy),
    launchedAt: epochMs(task.statuses[0], now),
    updatedAt: epochMs(latest, now),
    host,
    ports: { ...task.ports },
  };
  const cronRun = task.labels[LABELS.cronRun];
  if (cronRun !== undefined) observed.cronRun = cronRun;
  if (latest?.healthy !== undefined) observed.healthy = latest.healthy;
  if (latest?.reason !== undefined) observed.reason = latest.reason;
  if (latest?.message !== undefined) observed.message = latest.message;
  return observed;
}

/** TaskStatus timestamps are seconds (a double) since the epoch. */
function epochMs(status: OperatorTaskStatus | undefined, fallback: number): number {
  return status?.timestamp === undefined ? fallback : Math.round(status.timestamp * 1000);
}
