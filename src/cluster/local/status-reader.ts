/**
 * Reads a sandbox back into an `ObservedTask`, and decides whether its supervisor is gone. No
 * in-memory state is needed, which is what lets a new reconciler adopt running tasks.
 */
import { isTerminal, type ObservedTask } from '../types.js';
import { fileExists, readJsonIfExists } from '../../util/durable-file.js';
import {
  isPidRecord,
  isSandboxStatus,
  isTaskRecord,
  REASON_EXECUTOR_TERMINATED,
  startingStatus,
  type PidRecord,
  type SandboxStatus,
  type TaskRecord,
} from './records.js';
import type { SandboxPaths } from './sandbox-layout.js';

export interface SandboxView {
  record: TaskRecord;
  status: SandboxStatus;
  pid?: PidRecord;
  killRequested: boolean;
}

/** How long a launch may go without a pid file before its supervisor counts as never started. */
export const LAUNCH_GRACE_MS = 30_000;

/**
 * Undefined before the task file exists (or once the sandbox is removed). A task file without
 * a status is a launch cut off between the two writes: it reads as the STARTING status the
 * launcher was about to write, so the task is seen, completed by a retried launch, or LOST
 * after the grace period, instead of being waited for forever.
 */
export async function readSandbox(paths: SandboxPaths): Promise<SandboxView | undefined> {
  const record = await readJsonIfExists(paths.task, isTaskRecord);
  if (record === undefined) return undefined;
  const status =
    (await readJsonIfExists(paths.status, isSandboxStatus)) ?? startingStatus(record, record.launchedAt);
  const pid = await readJsonIfExists(paths.pid, isPidRecord);
  const killRequested = await fileExists(paths.kill);
  return { record, status, killRequested, ...(pid === undefined ? {} : { pid }) };
}

export type Liveness = (pid: PidRecord) => boolean;

/** A non-terminal task whose supervisor died (or whose pid now names another process). */
export function supervisorGone(view: SandboxView, alive: Liveness, now: number): boolean {
  if (isTerminal(view.status.state)) return false;
  if (view.pid === undefined) return now - view.record.launchedAt > LAUNCH_GRACE_MS;
  return !alive(view.pid);
}

export function lostStatus(status: SandboxStatus, now: number): SandboxStatus {
  return {
    ...status,
    state: 'LOST',
    reason: REASON_EXECUTOR_TERMINATED,
    message: 'Supervisor terminated without reporting a final state',
    updatedAt: now,
  };
}

/** A kill in flight shows as KILLING from the moment it is requested, whoever requested it. */
export function toObservedTask(view: SandboxView): ObservedTask {
  const { record, status } = view;
  const killing = view.killRequested && !isTerminal(status.state);
  const task: ObservedTask = {
    taskId: record.taskId,
    jobId: record.jobId,
    instance: record.instance,
    configHash: record.configHash,
    commit: record.commit,
    state: killing ? 'KILLING' : status.state,
    updatedAt: status.updatedAt,
    launchedAt: status.launchedAt,
    host: record.hostname,
    ports: { ...record.ports },
  };
  if (record.cronRun !== undefined) task.cronRun = record.cronRun;
  if (status.healthy !== undefined) task.healthy = status.healthy;
  if (status.reason !== undefined) task.reason = status.reason;
  if (status.message !== undefined) task.message = status.message;
  if (view.killRequested) task.killRequested = true;
  return task;
}
