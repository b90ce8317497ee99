/**
 * Which live processes belong to which task of which local cluster, read from the processes
 * themselves. A supervisor and every process it starts carry the cluster's sandbox root and
 * the task id in their environment (/proc/<pid>/environ): unlike a sandbox, nothing outside
 * the process can damage or remove that, so a task stays identifiable after its sandbox is
 * garbled, removed, or the whole state directory wiped. Each match is bound to the process's
 * start time, so a pid recycled by another program is never signalled.
 */
import {
  scanProcesses,
  signalLedGroup,
  signalProcess,
  waitUntilGone,
  type ProcessIdentity,
} from '../../util/proc.js';

/** The sandbox root of the local cluster that started the process. */
export const SANDBOX_ROOT_ENV = 'BOREALIS_SANDBOX_ROOT';
/** The task the process belongs to (also what a task's own processes may read). */
export const TASK_ID_ENV = 'BOREALIS_TASK_ID';
/** Set on a supervisor only: the processes it starts do not inherit it. */
export const SUPERVISOR_ENV = 'BOREALIS_SUPERVISOR';

export interface TaskMarker {
  root: string;
  taskId: string;
  supervisor: boolean;
}

export type TaskProcess = ProcessIdentity & { marker: TaskMarker };

/** How long SIGKILLed processes get to disappear before the caller goes on without them. */
export const KILL_WAIT_MS = 5000;

/** A process may fork between a scan and the kill; each round catches what the last one missed. */
const SWEEP_ROUNDS = 10;

function variable(environ: readonly string[], name: string): string | undefined {
  const prefix = `${name}=`;
  const entry = environ.find((candidate) => candidate.startsWith(prefix));
  return entry?.slice(prefix.length);
}

/** The marker an environment carries, if it belongs to the cluster at `root`. */
export function readMarker(environ: readonly string[], root: string): TaskMarker | undefined {
  if (variable(environ, SANDBOX_ROOT_ENV) !== root) return undefined;
  const taskId = variable(environ, TASK_ID_ENV);
  if (taskId === undefined || taskId === '') return undefined;
  return { root, taskId, supervisor: variable(environ, SUPERVISOR_ENV) === '1' };
}

/** The supervisor's environment: `base` plus its marker. */
export function supervisorEnvironment(
  root: string,
  taskId: string,
  base: NodeJS.ProcessEnv,
): NodeJS.ProcessEnv {
  return { ...base, [SANDBOX_ROOT_ENV]: root, [TASK_ID_ENV]: taskId, [SUPERVISOR_ENV]: '1' };
}

/** Marks `env` (a task process's environment) as the task's, whatever the job's `env` said. */
export function markTaskEnvironment(env: NodeJS.ProcessEnv, root: string, taskId: string): void {
  env[SANDBOX_ROOT_ENV] = root;
  env[TASK_ID_ENV] = taskId;
  delete env[SUPERVISOR_ENV];
}

/** Live processes of the cluster at `root` (of one task, given `taskId`), this process excepted. */
export function findTaskProcesses(root: string, taskId?: string): TaskProcess[] {
  return scanProcesses(`${SANDBOX_ROOT_ENV}=${root}\0`, (environ) => {
    const marker = readMarker(environ, root);
    return marker !== undefined && (taskId === undefined || marker.taskId === taskId) ? marker : undefined;
  }).map(({ selected, ...identity }) => ({ ...identity, marker: selected }));
}

/**
 * SIGKILLs every process of the task, and the process groups they lead (which holds children
 * that dropped the marker but not the group), then waits until they have gone or `deadline`
 * passed; returns those still running (stuck in the kernel: they die as they leave it).
 */
export async function killTaskProcesses(
  root: string,
  taskId: string,
  deadline: number,
): Promise<TaskProcess[]> {
  const signalled = new Map<string, TaskProcess>();
  for (let round = 0; round < SWEEP_ROUNDS; round += 1) {
    const fresh = findTaskProcesses(root, taskId).filter(
      (found) => !signalled.has(`${found.pid}:${found.startTime}`),
    );
    if (fresh.length === 0) break;
    for (const found of fresh) {
      signalLedGroup(found, 'SIGKILL');
      signalProcess(found, 'SIGKILL');
      signalled.set(`${found.pid}:${found.startTime}`, found);
    }
  }
  return waitUntilGone([...signalled.values()], deadline);
}
