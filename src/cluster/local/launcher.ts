/**
 * Creates a sandbox and starts its supervisor as a detached process, so the task outlives
 * the reconciler that launched it.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { TaskLaunch } from '../types.js';
import { writeJsonDurably } from '../../util/durable-file.js';
import { processStartTime } from '../../util/proc.js';
import { startingStatus, type PidRecord, type TaskRecord } from './records.js';
import type { SandboxPaths } from './sandbox-layout.js';
import { supervisorEnvironment } from './task-markers.js';

/** The compiled entry point next to this module (dist/src/cluster/local/supervisor-main.js). */
export function supervisorMainPath(): string {
  return fileURLToPath(new URL('./supervisor-main.js', import.meta.url));
}

export interface SandboxSeed {
  launch: TaskLaunch;
  ports: Record<string, number>;
  hostname: string;
  launchedAt: number;
}

/**
 * `task.json` then `status.json` (STARTING), both before the supervisor exists: the supervisor
 * is then the only writer of the status. A crash between the two writes reads as the same
 * STARTING status (see readSandbox).
 */
export async function createSandbox(paths: SandboxPaths, seed: SandboxSeed): Promise<TaskRecord> {
  await mkdir(paths.logs, { recursive: true });
  const record: TaskRecord = {
    ...seed.launch,
    ports: seed.ports,
    hostname: seed.hostname,
    launchedAt: seed.launchedAt,
  };
  await writeJsonDurably(paths.task, record);
  await writeJsonDurably(paths.status, startingStatus(record, seed.launchedAt));
  return record;
}

/** What identifies the supervisor's processes as the task's, sandbox or not (task-markers.ts). */
export interface SupervisorIdentity {
  root: string;
  taskId: string;
}

/**
 * `recordPid: false` leaves the pid file to the supervisor that wins the sandbox's claim, for
 * a launch being completed: this child may be the one that loses and exits.
 */
export async function startSupervisor(
  paths: SandboxPaths,
  identity: SupervisorIdentity,
  recordPid = true,
): Promise<PidRecord> {
  const log = openSync(paths.supervisorLog, 'a');
  let pid: number | undefined;
  try {
    const child = spawn(process.execPath, [supervisorMainPath(), paths.dir], {
      cwd: paths.dir,
      env: supervisorEnvironment(identity.root, identity.taskId, process.env),
      detached: true,
      stdio: ['ignore', log, log],
    });
    child.on('error', () => undefined);
    child.unref();
    pid = child.pid;
  } finally {
    closeSync(log);
  }
  if (pid === undefined) throw new Error(`could not start the supervisor for ${paths.dir}`);
  const startTime = processStartTime(pid) ?? '';
  const record: PidRecord = { pid, startTime };
  if (recordPid) await writeJsonDurably(paths.pid, record);
  return record;
}
