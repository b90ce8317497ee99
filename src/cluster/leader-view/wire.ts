/**
 * The leader's view of its cluster on the wire, served at `GET /api/observed` and read by
 * `plan` and `status` before they ask the cluster itself (the client and the reading
 * `Cluster` are beside this file). The leader is the framework: it holds every task it
 * launched in memory, current to the last status update and reconciled with the master,
 * including launches the master has not seen yet; asking the Mesos master instead means
 * reading its whole task list, for a view that is no fresher.
 */
import { TERMINAL_STATES, type ObservedTask, type TaskState } from '../types.js';

export const OBSERVED_VIEW_FORMAT = 5;

/**
 * A task's own fields, in the order of each row: a row instead of an object per task, and
 * what its job's tasks share said once per group, make a large cluster's view far fewer
 * bytes and objects to parse.
 */
export const TASK_COLUMNS = [
  'taskId',
  'instance',
  'state',
  'updatedAt',
  'launchedAt',
  'host',
  'ports',
  'healthy',
  'reason',
  'message',
  'killRequested',
] as const;

type Column = (typeof TASK_COLUMNS)[number];
/**
 * A task's fields in `TASK_COLUMNS` order; an absent optional field is `null`. The text
 * columns tasks share (a state, an agent, the reason and message of the last update: the
 * same for every task a reconciliation answered) hold an index into the view's `strings`:
 * a large share of the bytes, and a string per shared column and task fewer to parse.
 */
export type TaskRow = unknown[];

const SHARED_TEXT: ReadonlySet<Column> = new Set(['state', 'host', 'reason', 'message']);

export interface ObservedGroup {
  jobId: string;
  configHash: string;
  commit: string;
  /** Present on the group of a cron run's tasks (`ObservedTask.cronRun`). */
  cronRun?: string;
  tasks: TaskRow[];
}

export interface ObservedView {
  format: typeof OBSERVED_VIEW_FORMAT;
  /** The clusters.yaml name of the cluster the leader reconciles. */
  cluster: string;
  /** ISO 8601: when the view was taken. */
  observed_at: string;
  columns: readonly Column[];
  /** The texts the shared-text columns of the rows point to, by index. */
  strings: string[];
  /** The tasks, grouped by job, configuration and commit. */
  groups: ObservedGroup[];
}

export function observedView(
  cluster: string,
  tasks: readonly ObservedTask[],
  now = new Date(),
): ObservedView {
  const groups = new Map<string, ObservedGroup>();
  const indices = new Map<string, number>();
  const intern = (text: string) => {
    let index = indices.get(text);
    if (index === undefined) indices.set(text, (index = indices.size));
    return index;
  };
  const cell = (task: ObservedTask, column: Column) => {
    const value = task[column] ?? null;
    return typeof value === 'string' && SHARED_TEXT.has(column) ? intern(value) : value;
  };
  for (const task of tasks) {
    const key = `${task.jobId}\u0000${task.configHash}\u0000${task.commit}\u0000${task.cronRun ?? ''}`;
    let group = groups.get(key);
    if (!group) {
      group = { jobId: task.jobId, configHash: task.configHash, commit: task.commit, tasks: [] };
      if (task.cronRun !== undefined) group.cronRun = task.cronRun;
      groups.set(key, group);
    }
    group.tasks.push(TASK_COLUMNS.map((column) => cell(task, column)));
  }
  return {
    format: OBSERVED_VIEW_FORMAT,
    cluster,
    observed_at: now.toISOString(),
    columns: TASK_COLUMNS,
    strings: [...indices.keys()],
    groups: [...groups.values()],
  };
}

/**
 * The view as JSON text, serialised again only when the snapshot is a new array: a backend
 * answers the same array while no task changed (`Cluster.snapshot`), and a large cluster's
 * tasks are slow to group and serialise.
 */
export class ObservedViewCache {
  private last: { tasks: readonly ObservedTask[]; cluster: string; body: string } | undefined;

  json(cluster: string, tasks: readonly ObservedTask[], now = new Date()): string {
    if (this.last?.tasks !== tasks || this.last.cluster !== cluster) {
      const { columns, strings, groups } = observedView(cluster, tasks, now);
      this.last = { tasks, cluster, body: JSON.stringify({ columns, strings, groups }).slice(1) };
    }
    const head = { format: OBSERVED_VIEW_FORMAT, cluster, observed_at: now.toISOString() };
    return `${JSON.stringify(head).slice(0, -1)},${this.last.body}`;
  }
}

/** The tasks in a view a leader answered; throws, saying why, when it is not one for this cluster. */
export function decodeObservedView(view: unknown, cluster: string, url: string): ObservedTask[] {
  const candidate = view as Partial<ObservedView> | null;
  if (candidate?.format !== OBSERVED_VIEW_FORMAT || !Array.isArray(candidate.groups))
    throw new Error(
      `${url} answered a view of format ${String(candidate?.format)}, not ${OBSERVED_VIEW_FORMAT}`,
    );
  if (candidate.cluster !== cluster)
    throw new Error(`the leader at ${url} reconciles cluster "${candidate.cluster}", not "${cluster}"`);
  if (JSON.stringify(candidate.columns) !== JSON.stringify(TASK_COLUMNS))
    throw new Error(
      `${url} answered the columns ${JSON.stringify(candidate.columns)}, not ${TASK_COLUMNS.join(', ')}`,
    );
  const strings = Array.isArray(candidate.strings) ? candidate.strings : [];
  // An index to no string gives a value no field accepts, so the task is refused below.
  const text = (index: unknown) => (index === null ? null : (strings[index as number] ?? NaN));
  const tasks: ObservedTask[] = [];
  for (const group of candidate.groups) {
    for (const row of Array.isArray(group?.tasks) ? group.tasks : [undefined]) {
      const task = Array.isArray(row) ? taskOf(group, row, text) : undefined;
      if (!isObservedTask(task))
        throw new Error(
          `${url} answered a task that is not one: ${JSON.stringify({ ...group, tasks: [row] })}`,
        );
      tasks.push(task);
    }
  }
  return tasks;
}

/** Rows are in `TASK_COLUMNS` order (checked above); one object shape for every task, built at once. */
function taskOf(
  group: ObservedGroup,
  row: TaskRow,
  text: (index: unknown) => unknown,
): Partial<ObservedTask> {
  const [
    taskId,
    instance,
    stateAt,
    updatedAt,
    launchedAt,
    hostAt,
    ports,
    healthy,
    reasonAt,
    messageAt,
    killed,
  ] = row;
  const [state, host, reason, message] = [text(stateAt), text(hostAt), text(reasonAt), text(messageAt)];
  const task = {
    taskId,
    jobId: group.jobId,
    instance,
    configHash: group.configHash,
    commit: group.commit,
    state,
    updatedAt,
    launchedAt,
    host,
    ports,
  } as Record<string, unknown>;
  if (group.cronRun !== undefined) task.cronRun = group.cronRun;
  if (healthy !== null && healthy !== undefined) task.healthy = healthy;
  if (reason !== null && reason !== undefined) task.reason = reason;
  if (message !== null && message !== undefined) task.message = message;
  if (killed !== null && killed !== undefined) task.killRequested = killed;
  return task;
}

const STATES: ReadonlySet<string> = new Set<TaskState>([
  'PENDING',
  'STARTING',
  'RUNNING',
  'KILLING',
  ...TERMINAL_STATES,
]);

function isObservedTask(task: unknown): task is ObservedTask {
  const t = task as Partial<ObservedTask> | null | undefined;
  return (
    typeof t?.taskId === 'string' &&
    typeof t.jobId === 'string' &&
    Number.isInteger(t.instance) &&
    typeof t.configHash === 'string' &&
    typeof t.commit === 'string' &&
    (t.cronRun === undefined || typeof t.cronRun === 'string') &&
    typeof t.state === 'string' &&
    STATES.has(t.state) &&
    typeof t.updatedAt === 'number' &&
    typeof t.launchedAt === 'number' &&
    typeof t.host === 'string' &&
    typeof t.ports === 'object' &&
    t.ports !== null &&
    (t.healthy === undefined || typeof t.healthy === 'boolean') &&
    (t.reason === undefined || typeof t.reason === 'string') &&
    (t.message === undefined || typeof t.message === 'string') &&
    (t.killRequested === undefined || typeof t.killRequested === 'boolean')
  );
}
