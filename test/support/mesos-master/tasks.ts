/**
 * Tasks and their status updates. Agent/executor updates carry a `uuid` and go through a
 * per-task stream as in the agent's status update manager: only the oldest unacknowledged
 * update is sent, it is retried until ACKNOWLEDGEd, then the next one goes. Master-generated
 * updates (TASK_LOST, TASK_ERROR, reconciliation) have no uuid and are sent once.
 */
import { newStatusUuid, taskStatus, update, type StatusFields } from './events.js';
import { recordStatus } from './history.js';
import { add } from './resources.js';
import { TERMINAL, taskKey, type Framework, type State, type Task } from './state.js';
import { send } from './stream.js';

function emit(state: State, fw: Framework, status: StatusFields): void {
  const event = update(taskStatus(status));
  const { updateDelayMs, holding } = state.faults;
  if (holding) state.faults.held.push({ fw, event, status });
  else if (updateDelayMs > 0) setTimeout(() => send(fw, event), updateDelayMs).unref();
  else send(fw, event);
}

/** Sends every UPDATE event held back so far, newest first when `reversed`. */
export function releaseHeld(state: State, reversed: boolean): void {
  const held = state.faults.held.splice(0);
  for (const { fw, event } of reversed ? held.reverse() : held) send(fw, event);
}

/** Sets the master's view of the task, freeing its resources when it becomes terminal. */
function setState(state: State, task: Task, next: string): void {
  const wasActive = !TERMINAL.has(task.state) && task.state !== 'TASK_UNREACHABLE';
  task.state = next;
  if (wasActive && (TERMINAL.has(next) || next === 'TASK_UNREACHABLE')) {
    const agent = state.agents.get(task.agentId);
    if (agent !== undefined && !agent.lost) agent.free = add(agent.free, task.pool);
  }
}

/** What an executor's update says besides the state. */
export type UpdateDetail = Partial<Pick<StatusFields, 'reason' | 'message' | 'healthy'>>;

/** An update from the (simulated) executor: queued, sent when it reaches the head. */
export function executorUpdate(state: State, task: Task, nextState: string, detail: UpdateDetail = {}): void {
  setState(state, task, nextState);
  if (detail.healthy !== undefined) task.healthy = detail.healthy;
  const status: StatusFields = {
    taskId: task.taskId,
    state: nextState,
    source: 'SOURCE_EXECUTOR',
    agentId: task.agentId,
    uuid: newStatusUuid(),
    timestamp: Date.now() / 1000,
    ...detail,
  };
  if (task.executorId !== undefined) status.executorId = task.executorId;
  recordStatus(task, status);
  task.pending.push(status);
  if (task.pending.length === 1) sendHead(state, task);
}

function sendHead(state: State, task: Task): void {
  const fw = state.frameworks.get(task.frameworkId);
  const head = task.pending[0];
  if (fw !== undefined && head !== undefined) emit(state, fw, head);
}

/** A master-generated update (no uuid, never retried), stamped when the master makes it. */
export function masterUpdate(
  state: State,
  fw: Framework,
  status: Omit<StatusFields, 'source' | 'timestamp'>,
): void {
  emit(state, fw, { ...status, source: 'SOURCE_MASTER', timestamp: Date.now() / 1000 });
}

/** Resends the head of every task's unacknowledged updates (the agent's retry timer). */
export function retryUnacknowledged(state: State): void {
  for (const task of state.tasks.values()) sendHead(state, task);
}

/** ACKNOWLEDGE: pops the head if the uuid matches, then sends the next update. */
export function acknowledge(state: State, frameworkId: string, taskId: string, uuid: string): void {
  const task = state.tasks.get(taskKey(frameworkId, taskId));
  const head = task?.pending[0];
  if (task === undefined || head === undefined) return;
  if (Buffer.from(head.uuid ?? '', 'base64').equals(Buffer.from(uuid, 'base64'))) {
    task.pending.shift();
    sendHead(state, task);
  }
}

/**
 * KILL: TASK_KILLING (with TASK_KILLING_STATE) then TASK_KILLED; unknown tasks are TASK_LOST.
 * The master forgets an ended task only once its terminal update is acknowledged; until then
 * a kill reaches the agent, which ignores it for an executor already terminating.
 */
export function kill(state: State, fw: Framework, taskId: string, agentId: string | undefined): void {
  const task = state.tasks.get(taskKey(fw.id, taskId));
  if (task !== undefined && TERMINAL.has(task.state) && task.pending.length > 0) return;
  if (task === undefined || TERMINAL.has(task.state)) {
    const status = { taskId, state: 'TASK_LOST', reason: 'REASON_RECONCILIATION' };
    masterUpdate(state, fw, { ...status, message: 'Attempted to kill an unknown task', ...agentOf(agentId) });
    return;
  }
  if (task.state === 'TASK_UNREACHABLE') return;
  if (fw.capabilities.has('TASK_KILLING_STATE')) executorUpdate(state, task, 'TASK_KILLING');
  executorUpdate(state, task, 'TASK_KILLED');
}

const agentOf = (agentId: string | undefined): { agentId?: string } =>
  agentId === undefined ? {} : { agentId };

/** RECONCILE: explicit (listed tasks) or implicit (empty list: every task the master knows). */
export function reconcile(state: State, fw: Framework, wanted: { taskId: string; agentId?: string }[]): void {
  if (state.faults.unansweredReconciles > 0) {
    state.faults.unansweredReconciles--;
    return;
  }
  const reason = 'REASON_RECONCILIATION';
  const latest = (t: Task) => ({
    taskId: t.taskId,
    state: t.state,
    reason,
    message: 'Reconciliation: Latest task state',
    agentId: t.agentId,
    ...(t.healthy === undefined ? {} : { healthy: t.healthy }),
  });
  if (wanted.length === 0) {
    for (const t of state.tasks.values()) {
      if (t.frameworkId === fw.id && !TERMINAL.has(t.state)) masterUpdate(state, fw, latest(t));
    }
    return;
  }
  for (const w of wanted) {
    const t = state.tasks.get(taskKey(fw.id, w.taskId));
    if (t !== undefined) masterUpdate(state, fw, latest(t));
    else
      masterUpdate(state, fw, { taskId: w.taskId, state: unknownState(fw), reason, ...agentOf(w.agentId) });
  }
}

const unknownState = (fw: Framework): string =>
  fw.capabilities.has('PARTITION_AWARE') ? 'TASK_UNKNOWN' : 'TASK_LOST';

/** The agent is gone: its tasks go TASK_UNREACHABLE (PARTITION_AWARE) or TASK_LOST. */
export function agentLost(state: State, agentId: string): void {
  for (const task of state.tasks.values()) {
    if (task.agentId !== agentId || TERMINAL.has(task.state) || task.state === 'TASK_UNREACHABLE') continue;
    const fw = state.frameworks.get(task.frameworkId);
    const next = fw?.capabilities.has('PARTITION_AWARE') === true ? 'TASK_UNREACHABLE' : 'TASK_LOST';
    setState(state, task, next);
    task.pending = [];
    const status = { taskId: task.taskId, state: next, reason: 'REASON_AGENT_REMOVED', agentId };
    recordStatus(task, {
      ...status,
      message: 'Agent removed',
      source: 'SOURCE_MASTER',
      timestamp: Date.now() / 1000,
    });
    if (fw !== undefined) masterUpdate(state, fw, { ...status, message: 'Agent removed' });
  }
}

/** Framework removal (TEARDOWN or failover timeout): its live tasks are killed, silently. */
export function killAll(state: State, frameworkId: string): void {
  for (const task of state.tasks.values()) {
    if (task.frameworkId !== frameworkId || TERMINAL.has(task.state)) continue;
    setState(state, task, 'TASK_KILLED');
    task.pending = [];
    const status = { taskId: task.taskId, state: 'TASK_KILLED', agentId: task.agentId };
    const why = { reason: 'REASON_FRAMEWORK_REMOVED', message: `Framework ${frameworkId} removed` };
    recordStatus(task, { ...status, ...why, source: 'SOURCE_MASTER', timestamp: Date.now() / 1000 });
  }
}
