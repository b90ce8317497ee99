/**
 * The files a local sandbox holds, shared by the cluster (reader, launcher) and the supervisor
 * (writer). They are the only channel between the two, so a reconciler restarted from scratch
 * can rebuild everything from them.
 */
import type { TaskLaunch, TaskState } from '../types.js';
import type { ProcessPhase } from './process-schedule.js';

/** `task.json`: the launch as received, plus what the cluster decided at launch time. */
export interface TaskRecord extends TaskLaunch {
  ports: Record<string, number>;
  hostname: string;
  launchedAt: number;
}

export interface ProcessStatus {
  state: ProcessPhase;
  runs: number;
  failures: number;
  pid?: number;
  exitCode?: number;
}

/** `status.json`: the task as its supervisor last reported it. */
export interface SandboxStatus {
  state: TaskState;
  reason?: string;
  message?: string;
  healthy?: boolean;
  /** Epoch ms of the latest change of `state` or `healthy`. */
  updatedAt: number;
  launchedAt: number;
  ports: Record<string, number>;
  processes: Record<string, ProcessStatus>;
}

/** `supervisor.pid`: the start time tells a live supervisor from a recycled pid. */
export interface PidRecord {
  pid: number;
  startTime: string;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function isTaskRecord(value: unknown): value is TaskRecord {
  return (
    isObject(value) &&
    typeof value.taskId === 'string' &&
    typeof value.instance === 'number' &&
    isObject(value.config) &&
    isObject(value.ports) &&
    typeof value.launchedAt === 'number'
  );
}

export function isSandboxStatus(value: unknown): value is SandboxStatus {
  return (
    isObject(value) &&
    typeof value.state === 'string' &&
    typeof value.updatedAt === 'number' &&
    isObject(value.processes)
  );
}

export function isPidRecord(value: unknown): value is PidRecord {
  return isObject(value) && typeof value.pid === 'number' && typeof value.startTime === 'string';
}

/** Mesos reasons this backend reports. */
export const REASON_EXECUTOR_TERMINATED = 'REASON_EXECUTOR_TERMINATED';
export const REASON_HEALTH_CHECK_FAILED = 'REASON_HEALTH_CHECK_FAILED';
export const REASON_COMMAND_EXECUTOR_FAILED = 'REASON_COMMAND_EXECUTOR_FAILED';
export { REASON_TASK_INVALID } from '../types.js';

/** The status a sandbox starts with: STARTING, every process waiting. */
export function startingStatus(record: TaskRecord, now: number): SandboxStatus {
  const processes: Record<string, ProcessStatus> = {};
  for (const process of record.config.task.processes) {
    processes[process.name] = { state: 'WAITING', runs: 0, failures: 0 };
  }
  return {
    state: 'STARTING',
    updatedAt: now,
    launchedAt: record.launchedAt,
    ports: record.ports,
    processes,
  };
}
