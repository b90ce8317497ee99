/** Mesos task states in the Cluster port's terms, and which updates change what Borealis knows. */
import { isTerminal, REASON_TASK_INVALID, type TaskState } from '../types.js';

const STATES: Record<string, TaskState> = {
  TASK_STAGING: 'STARTING',
  TASK_STARTING: 'STARTING',
  TASK_RUNNING: 'RUNNING',
  TASK_KILLING: 'KILLING',
  TASK_FINISHED: 'FINISHED',
  TASK_FAILED: 'FAILED',
  // A task Mesos refused as invalid: terminal, and relaunching the same TaskInfo cannot help.
  TASK_ERROR: 'FAILED',
  TASK_KILLED: 'KILLED',
  // Partition-aware states: the instance is gone from Borealis's point of view and is
  // relaunched elsewhere; an unreachable task that comes back is killed as a duplicate.
  TASK_LOST: 'LOST',
  TASK_UNREACHABLE: 'LOST',
  TASK_GONE: 'LOST',
  TASK_GONE_BY_OPERATOR: 'LOST',
  TASK_DROPPED: 'LOST',
  TASK_UNKNOWN: 'LOST',
};

/** Mesos states after which a task no longer holds its resources. */
export const TERMINAL_MESOS_STATES: ReadonlySet<string> = new Set(
  Object.keys(STATES).filter((state) => isTerminal(STATES[state]!)),
);

export function taskStateOf(mesosState: string): TaskState {
  return STATES[mesosState] ?? 'LOST';
}

/**
 * The state Borealis reports for a task. Mesos says TASK_RUNNING as soon as the process
 * starts; Aurora, whose semantics Borealis keeps, counts a health-checked task as RUNNING
 * only once its check has passed, so until then it is still STARTING.
 */
export function reportedState(mesosState: string, hasHealthCheck: boolean, healthy?: boolean): TaskState {
  const state = taskStateOf(mesosState);
  return state === 'RUNNING' && hasHealthCheck && healthy !== true ? 'STARTING' : state;
}

/** TASK_ERROR means the TaskInfo itself was refused; the reason says so even when Mesos left it out. */
export function reasonOf(status: TaskStatusView): string | undefined {
  return status.reason ?? (status.state === 'TASK_ERROR' ? REASON_TASK_INVALID : undefined);
}

/** States after which the task may still be running and come back (a partition heals). */
const MAY_RETURN = new Set(['TASK_UNREACHABLE', 'TASK_UNKNOWN']);

/** What is known of a task from the updates applied so far. */
export interface KnownStatus {
  mesosState?: string;
  /** Seconds since the epoch, of the latest update applied. */
  timestamp?: number;
}

/**
 * Whether an update is news. Updates can arrive out of order: an agent resends one the
 * master has since superseded, and reconciliation answers race executor updates. An update
 * older than the latest one applied is stale, and a task that ended stays ended unless it
 * was only unreachable. Stale updates are still acknowledged.
 */
export function isNews(known: KnownStatus, update: TaskStatusView): boolean {
  if (known.timestamp !== undefined && update.timestamp !== undefined && update.timestamp < known.timestamp)
    return false;
  const ended = known.mesosState !== undefined && isTerminal(taskStateOf(known.mesosState));
  return !ended || MAY_RETURN.has(known.mesosState!) || isTerminal(taskStateOf(update.state));
}

export interface TaskStatusView {
  taskId: string;
  state: string;
  agentId?: string;
  reason?: string;
  message?: string;
  healthy?: boolean;
  /** Base64; present when the update must be acknowledged. */
  uuid?: string;
  /** Seconds since the epoch. */
  timestamp?: number;
}

/** The fields Borealis reads from a v1 TaskStatus. */
export function statusView(status: Record<string, unknown>): TaskStatusView {
  const id = (field: string) => (status[field] as { value?: string } | undefined)?.value;
  const view: TaskStatusView = {
    taskId: id('task_id') ?? '',
    state: typeof status.state === 'string' ? status.state : 'TASK_UNKNOWN',
  };
  const agentId = id('agent_id');
  if (agentId) view.agentId = agentId;
  if (typeof status.reason === 'string') view.reason = status.reason;
  if (typeof status.message === 'string') view.message = status.message;
  if (typeof status.healthy === 'boolean') view.healthy = status.healthy;
  if (typeof status.uuid === 'string') view.uuid = status.uuid;
  if (typeof status.timestamp === 'number') view.timestamp = status.timestamp;
  return view;
}
