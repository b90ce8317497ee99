/** Where things live inside `<root>/<taskId>/`. */
import { join } from 'node:path';

export const TASK_FILE = 'task.json';
export const STATUS_FILE = 'status.json';
export const PID_FILE = 'supervisor.pid';
/** Written by the supervisor once it handles SIGTERM; before that a signal would kill it outright. */
export const READY_FILE = 'supervisor.ready';
/** Written by `kill()`, so a kill requested before the supervisor is ready is not lost. */
export const KILL_FILE = 'kill.request';
export const SUPERVISOR_LOG = 'supervisor.log';
/** Created exclusively by the one supervisor that runs the task; a second one started by a retried launch exits. */
export const CLAIM_FILE = 'supervisor.claim';
export const LOG_DIR = 'logs';

export interface SandboxPaths {
  dir: string;
  task: string;
  status: string;
  pid: string;
  ready: string;
  kill: string;
  supervisorLog: string;
  claim: string;
  logs: string;
}

export function sandboxPaths(dir: string): SandboxPaths {
  return {
    dir,
    task: join(dir, TASK_FILE),
    status: join(dir, STATUS_FILE),
    pid: join(dir, PID_FILE),
    ready: join(dir, READY_FILE),
    kill: join(dir, KILL_FILE),
    supervisorLog: join(dir, SUPERVISOR_LOG),
    claim: join(dir, CLAIM_FILE),
    logs: join(dir, LOG_DIR),
  };
}

export function processLogPath(paths: SandboxPaths, processName: string): string {
  return join(paths.logs, `${processName}.log`);
}

/** Task ids become directory names; anything that could escape the root is refused. */
export function assertSafeTaskId(taskId: string): void {
  if (!/^[\w.-]+$/.test(taskId) || taskId === '.' || taskId === '..') {
    throw new Error(`task id ${JSON.stringify(taskId)} cannot name a sandbox directory`);
  }
}
