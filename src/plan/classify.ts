/**
 * Splits one job's observed tasks into named sets before any decision is taken, with an
 * ordered rule table (first match wins), as Nomad's reconciler does.
 */
import { isTerminal, type ObservedTask } from '../cluster/types.js';

export interface TaskSets {
  /** Ended tasks: the history that failure counts and back-off read. */
  terminal: ObservedTask[];
  /** Active tasks on an instance number the job no longer declares. */
  excess: ObservedTask[];
  /** Active tasks on an instance that already has a better active task. */
  duplicate: ObservedTask[];
  /** The one active task kept for each declared instance. */
  byInstance: Map<number, ObservedTask>;
}

interface Context {
  instances: number;
  desiredHash: string | undefined;
  kept: Map<number, ObservedTask>;
}

type Rule = {
  set: keyof Omit<TaskSets, 'byInstance'>;
  when: (task: ObservedTask, context: Context) => boolean;
};

const RULES: Rule[] = [
  { set: 'terminal', when: (task) => isTerminal(task.state) },
  { set: 'excess', when: (task, { instances }) => task.instance >= instances },
  { set: 'duplicate', when: (task, { kept }) => kept.get(task.instance) !== task },
];

export function classifyTasks(
  tasks: readonly ObservedTask[],
  instances: number,
  desiredHash?: string,
): TaskSets {
  const context: Context = { instances, desiredHash, kept: pickKept(tasks, desiredHash) };
  const sets: TaskSets = { terminal: [], excess: [], duplicate: [], byInstance: new Map() };
  for (const task of tasks) {
    const rule = RULES.find(({ when }) => when(task, context));
    if (rule) sets[rule.set].push(task);
    else sets.byInstance.set(task.instance, task);
  }
  return sets;
}

/**
 * When an instance has several active tasks (a launch retried after a crash, a task
 * started by hand), keep the one most worth keeping: the desired configuration first,
 * then the most advanced state, then the newest.
 */
function pickKept(
  tasks: readonly ObservedTask[],
  desiredHash: string | undefined,
): Map<number, ObservedTask> {
  const kept = new Map<number, ObservedTask>();
  for (const task of tasks) {
    if (isTerminal(task.state)) continue;
    const current = kept.get(task.instance);
    if (!current || preference(task, desiredHash) > preference(current, desiredHash))
      kept.set(task.instance, task);
  }
  return kept;
}

const STATE_RANK: Partial<Record<ObservedTask['state'], number>> = { RUNNING: 3, STARTING: 2, PENDING: 1 };

function preference(task: ObservedTask, desiredHash: string | undefined): number {
  const matches = task.configHash === desiredHash ? 1 : 0;
  return matches * 1e15 + (STATE_RANK[task.state] ?? 0) * 1e14 + task.launchedAt;
}
