/**
 * Brings a supervisor up inside its sandbox and handles the kill hand-shake: SIGTERM is caught
 * from the first line, `supervisor.ready` tells the cluster that signals are now safe, and a
 * `kill.request` written before that is honoured on start.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { isTerminal, type TaskState } from '../types.js';
import {
  fileExists,
  readJsonIfExists,
  writeFileDurablySync,
  writeJsonDurablySync,
} from '../../util/durable-file.js';
import { processStartTime } from '../../util/proc.js';
import {
  isPidRecord,
  isSandboxStatus,
  isTaskRecord,
  REASON_EXECUTOR_TERMINATED,
  startingStatus,
  type SandboxStatus,
} from './records.js';
import { sandboxPaths, type SandboxPaths } from './sandbox-layout.js';
import { TaskSupervisor } from './supervisor.js';
import { KILL_WAIT_MS, killTaskProcesses, SANDBOX_ROOT_ENV, TASK_ID_ENV } from './task-markers.js';

export function supervisorLog(message: string): void {
  process.stdout.write(`${new Date().toISOString()} ${message}\n`);
}

/** The launcher writes the pid file too; this covers a launcher that died right after spawning. */
async function ensurePidFile(paths: SandboxPaths): Promise<void> {
  if ((await readJsonIfExists(paths.pid, isPidRecord)) !== undefined) return;
  const startTime = processStartTime(process.pid);
  if (startTime !== undefined) writeJsonDurablySync(paths.pid, { pid: process.pid, startTime });
}

/** Catches kill requests from the first moment and forwards them once a supervisor exists. */
class KillSwitch {
  private requested = false;
  private target: TaskSupervisor | undefined;

  request(): void {
    this.requested = true;
    this.target?.requestKill();
  }

  attach(supervisor: TaskSupervisor): void {
    this.target = supervisor;
    if (this.requested) supervisor.requestKill();
  }
}

/** Runs the task in `sandboxDir` to its end and returns how it ended. */
export async function runSupervisor(sandboxDir: string): Promise<TaskState> {
  const paths = sandboxPaths(resolve(sandboxDir));
  const kill = new KillSwitch();
  process.on('SIGTERM', () => kill.request());
  process.on('SIGINT', () => kill.request());
  // Detached from any terminal, but a stray hang-up must not end the task.
  process.on('SIGHUP', () => undefined);

  const record = await readJsonIfExists(paths.task, isTaskRecord);
  if (record === undefined) throw new Error(`no readable task.json in ${paths.dir}`);
  const status =
    (await readJsonIfExists(paths.status, isSandboxStatus)) ?? startingStatus(record, Date.now());
  await ensurePidFile(paths);
  writeFileDurablySync(paths.ready, `${process.pid}\n`);
  if (await fileExists(paths.kill)) kill.request();

  const root = process.env[SANDBOX_ROOT_ENV] ?? dirname(paths.dir);
  const supervisor = new TaskSupervisor({
    paths,
    record,
    status,
    baseEnv: process.env,
    root,
    log: supervisorLog,
  });
  supervisorLog(`supervising ${record.taskId} in ${paths.dir}`);
  kill.attach(supervisor);
  const outcome = await supervisor.run();
  supervisorLog(`task ${outcome.state}; supervisor exiting`);
  return outcome.state;
}

function readCurrentStatus(paths: SandboxPaths): SandboxStatus | undefined {
  try {
    const value: unknown = JSON.parse(readFileSync(paths.status, 'utf8'));
    return isSandboxStatus(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

/** For a supervisor started without a marker (on a Mesos agent, by `borealis-task-supervisor`). */
function readTaskId(paths: SandboxPaths): string | undefined {
  try {
    const value: unknown = JSON.parse(readFileSync(paths.task, 'utf8'));
    return isTaskRecord(value) ? value.taskId : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Last resort after an internal error: no process of the task may outlive its supervisor, and
 * the task is reported LOST (an executor fault, not the task's). The task is known by the
 * supervisor's own marker, which a damaged or removed sandbox cannot take away.
 */
export async function emergencyStop(sandboxDir: string, error: unknown): Promise<void> {
  const paths = sandboxPaths(resolve(sandboxDir));
  supervisorLog(
    `supervisor error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
  );
  const taskId = process.env[TASK_ID_ENV] ?? readTaskId(paths);
  const root = process.env[SANDBOX_ROOT_ENV] ?? dirname(paths.dir);
  if (taskId !== undefined) await killTaskProcesses(root, taskId, Date.now() + KILL_WAIT_MS);
  const status = readCurrentStatus(paths);
  if (status === undefined || isTerminal(status.state)) return;
  const message = `Supervisor failed: ${error instanceof Error ? error.message : String(error)}`;
  writeJsonDurablySync(paths.status, {
    ...status,
    state: 'LOST',
    reason: REASON_EXECUTOR_TERMINATED,
    message,
    updatedAt: Date.now(),
  });
}
