/** The status history the master keeps per task and reports as the operator API's `Task.statuses`. */
import { taskStatus, type StatusFields } from './events.js';
import type { Task } from './state.js';

/**
 * As `Master::updateTask`: a status in the same state as the last one replaces it, so a task
 * whose health check keeps reporting holds one TASK_RUNNING status, the latest.
 */
export function recordStatus(task: Task, fields: StatusFields): void {
  const statuses = (task.statuses ??= []);
  if (statuses.at(-1)?.state === fields.state) statuses.pop();
  statuses.push(taskStatus(fields));
}
