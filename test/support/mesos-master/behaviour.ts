/** What a launched task's simulated executor reports after TASK_STARTING, per its script. */
import { isObject } from './schema.js';
import { TERMINAL, type State, type Task, type TaskScript } from './state.js';
import { executorUpdate } from './tasks.js';

/** By default every task runs, and turns healthy at once when it has a health check. */
export const runsHealthy = (): TaskScript => ({ kind: 'runs' });

export function runScript(
  state: State,
  task: Task,
  script: Exclude<TaskScript, { kind: 'refused' }>,
  taskInfo: Record<string, unknown>,
): void {
  executorUpdate(state, task, 'TASK_RUNNING');
  if (script.kind === 'runs') {
    if (!isObject(taskInfo.health_check)) return;
    const healthy = script.healthy ?? true;
    later(script.healthyAfterMs ?? 0, task, () => executorUpdate(state, task, 'TASK_RUNNING', { healthy }));
    return;
  }
  const [next, reason] =
    script.kind === 'fails'
      ? ['TASK_FAILED', 'REASON_COMMAND_EXECUTOR_FAILED']
      : ['TASK_FINISHED', undefined];
  const message = script.kind === 'fails' ? (script.message ?? 'Command exited with status 1') : undefined;
  later(script.afterMs, task, () =>
    executorUpdate(state, task, next, { ...(reason ? { reason } : {}), ...(message ? { message } : {}) }),
  );
}

/** Runs `then` after `ms` unless the task ended (was killed, lost) in the meantime. */
function later(ms: number, task: Task, then: () => void): void {
  setTimeout(() => {
    if (!TERMINAL.has(task.state) && task.state !== 'TASK_UNREACHABLE') then();
  }, ms).unref();
}
