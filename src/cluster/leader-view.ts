/**
 * The leading reconciler's view of its cluster, served at `GET /api/observed` and read by
 * `plan` and `status` before they ask the cluster itself. The leader is the framework: it
 * holds every task it launched in memory, current to the last status update and
 * reconciled with the master, including launches the master has not seen yet. Asking the
 * Mesos master instead means reading its whole task list: some 160 MB of JSON and seconds
 * of work (the master's and ours) at 100,000 tasks, for a view that is no fresher.
 *
 * When there is no leader, or it does not answer in time, the reader falls back to the
 * cluster itself, so a plan never depends on a daemon running.
 */
import { TERMINAL_STATES, type Cluster, type ObservedTask, type TaskState } from './types.js';

export const OBSERVED_VIEW_FORMAT = 1;

export interface ObservedView {
  format: typeof OBSERVED_VIEW_FORMAT;
  /** The clusters.yaml name of the cluster the leader reconciles. */
  cluster: string;
  /** ISO 8601: when the view was taken. */
  observed_at: string;
  tasks: ObservedTask[];
}

export function observedView(cluster: string, tasks: ObservedTask[], now = new Date()): ObservedView {
  return { format: OBSERVED_VIEW_FORMAT, cluster, observed_at: now.toISOString(), tasks };
}

export interface LeaderViewOptions {
  /** The leader's HTTP base URL, e.g. `http://10.0.0.5:7070`. */
  url: string;
  /** The cluster the reader wants; a leader of another cluster is not asked twice. */
  cluster: string;
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 10_000;

/** The leader's tasks; throws, saying why, when it has none to give for this cluster. */
export async function fetchLeaderView(options: LeaderViewOptions): Promise<ObservedTask[]> {
  const url = `${options.url.replace(/\/+$/, '')}/api/observed`;
  const response = await fetch(url, { signal: AbortSignal.timeout(options.timeoutMs ?? DEFAULT_TIMEOUT_MS) });
  if (response.status !== 200) {
    const detail = (await response.text()).trim().slice(0, 300);
    throw new Error(`GET ${url} answered ${response.status}${detail ? `: ${detail}` : ''}`);
  }
  return checkView(await response.json(), options.cluster, url);
}

function checkView(view: unknown, cluster: string, url: string): ObservedTask[] {
  const candidate = view as Partial<ObservedView> | null;
  if (candidate?.format !== OBSERVED_VIEW_FORMAT || !Array.isArray(candidate.tasks))
    throw new Error(
      `${url} answered a view of format ${String(candidate?.format)}, not ${OBSERVED_VIEW_FORMAT}`,
    );
  if (candidate.cluster !== cluster)
    throw new Error(`the leader at ${url} reconciles cluster "${candidate.cluster}", not "${cluster}"`);
  for (const task of candidate.tasks) {
    if (!isObservedTask(task))
      throw new Error(`${url} answered a task that is not one: ${JSON.stringify(task)}`);
  }
  return candidate.tasks;
}

const STATES: ReadonlySet<string> = new Set<TaskState>([
  'PENDING',
  'STARTING',
  'RUNNING',
  'KILLING',
  ...TERMINAL_STATES,
]);

function isObservedTask(task: unknown): task is ObservedTask {
  const t = task as Partial<ObservedTask> | null;
  return (
    typeof t?.taskId === 'string' &&
    typeof t.jobId === 'string' &&
    Number.isInteger(t.instance) &&
    typeof t.configHash === 'string' &&
    typeof t.state === 'string' &&
    STATES.has(t.state) &&
    typeof t.updatedAt === 'number' &&
    typeof t.ports === 'object'
  );
}

export interface LeaderFirstOptions {
  /** The leader's tasks, read afresh on every call; undefined when there is no leader to ask. */
  view: () => Promise<ObservedTask[] | undefined>;
  /** The cluster itself, read when the leader cannot say. */
  fallback: Cluster;
}

/** Reads the leader's view when there is one, else the cluster; acts only through the cluster. */
export class LeaderFirstCluster implements Cluster {
  readonly kind: string;
  readonly placementProblems: Cluster['placementProblems'];

  constructor(private readonly options: LeaderFirstOptions) {
    this.kind = options.fallback.kind;
    const { fallback } = options;
    this.placementProblems = fallback.placementProblems?.bind(fallback);
  }

  async snapshot(): Promise<ObservedTask[]> {
    return (await this.options.view()) ?? this.options.fallback.snapshot();
  }

  launch(...args: Parameters<Cluster['launch']>): Promise<void> {
    return this.options.fallback.launch(...args);
  }

  kill(...args: Parameters<Cluster['kill']>): Promise<void> {
    return this.options.fallback.kill(...args);
  }

  forget(...args: Parameters<Cluster['forget']>): Promise<void> {
    return this.options.fallback.forget(...args);
  }

  subscribe(...args: Parameters<Cluster['subscribe']>): () => void {
    return this.options.fallback.subscribe(...args);
  }

  close(): Promise<void> {
    return this.options.fallback.close();
  }
}
