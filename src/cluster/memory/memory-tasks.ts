/**
 * The tasks of an in-memory cluster: what the machines of a real cluster would be running.
 * Any number of `MemoryCluster` objects can look at one `MemoryTasks`, as any number of
 * schedulers (one after a restart) look at one Mesos cluster. What the machines do on their
 * own — a task starting, crashing, turning healthy, an agent lost — is driven through the
 * explicit methods below, by a script given at construction or by a test, step by step.
 */
import {
  isTerminal,
  type ObservedTask,
  type TaskLaunch,
  type TaskState,
  type TaskStatusUpdate,
} from '../types.js';

/**
 * What a launched task reports after STARTING, at once: it runs (healthy or not when it has
 * a health check), or ends, or stays STARTING until someone `settle`s it.
 */
export type LaunchScript =
  | { state: 'STARTING' }
  | { state: 'RUNNING'; healthy?: boolean }
  | { state: 'FAILED' | 'FINISHED' | 'LOST'; reason?: string; message?: string };

export interface MemoryTasksOptions {
  now?: () => number;
  /** How each launched task behaves; every task runs by default. */
  script?: (launch: TaskLaunch) => LaunchScript;
  /** Whether a kill ends the task at once (KILLING, then KILLED) or leaves it KILLING until settled. */
  killsEnd?: boolean;
  /** The agents tasks are placed on, in turn; one by default. */
  hosts?: readonly string[];
}

export interface SettleDetail {
  reason?: string;
  message?: string;
}

/** The reason Mesos gives the tasks of an agent that was removed. */
export const REASON_AGENT_REMOVED = 'REASON_AGENT_REMOVED';

type Listener = (update: TaskStatusUpdate) => void;

const runs = (): LaunchScript => ({ state: 'RUNNING' });

export class MemoryTasks {
  private readonly tasks = new Map<string, ObservedTask>();
  private readonly listeners = new Set<Listener>();
  private readonly now: () => number;
  private readonly script: (launch: TaskLaunch) => LaunchScript;
  private readonly killsEnd: boolean;
  private readonly hosts: readonly string[];
  private readonly started = new Map<string, number>();
  private placed = 0;
  private scheduled = 0;
  private idleWaiters: (() => void)[] = [];
  private cache: readonly ObservedTask[] | undefined;

  constructor(options: MemoryTasksOptions = {}) {
    this.now = options.now ?? Date.now;
    this.script = options.script ?? runs;
    this.killsEnd = options.killsEnd ?? true;
    this.hosts = options.hosts ?? ['memory-host-0'];
  }

  /** Every task, as one frozen array that stays the same object until a task changes. */
  snapshot(): readonly ObservedTask[] {
    this.cache ??= Object.freeze([...this.tasks.values()]);
    return this.cache;
  }

  get(taskId: string): ObservedTask | undefined {
    return this.tasks.get(taskId);
  }

  /** A task id already known (whatever its state) is not launched again. */
  launch(launches: readonly TaskLaunch[]): void {
    for (const launch of launches) {
      if (this.tasks.has(launch.taskId)) continue;
      this.started.set(launch.taskId, this.starts(launch.taskId) + 1);
      this.put(this.fresh(launch));
      const script = this.script(launch);
      if (script.state === 'RUNNING')
        this.later(launch.taskId, 'STARTING', () => this.update(launch.taskId, script));
      else if (script.state !== 'STARTING')
        this.later(launch.taskId, 'STARTING', () => this.settle(launch.taskId, script.state, script));
    }
  }

  /** An unknown or ended task is left alone; a task being killed is not killed again. */
  kill(taskIds: readonly string[]): void {
    for (const taskId of taskIds) {
      const task = this.tasks.get(taskId);
      if (task === undefined || isTerminal(task.state) || task.killRequested) continue;
      this.update(taskId, { state: 'KILLING', killRequested: true });
      if (this.killsEnd) this.later(taskId, 'KILLING', () => this.settle(taskId, 'KILLED'));
    }
  }

  /** Drops ended tasks; active ones stay. */
  forget(taskIds: readonly string[]): void {
    for (const taskId of taskIds) {
      const task = this.tasks.get(taskId);
      if (task === undefined || !isTerminal(task.state)) continue;
      this.tasks.delete(taskId);
      this.cache = undefined;
    }
  }

  /** Resolves once every scripted change (a launch running, a kill ending) has happened. */
  idle(): Promise<void> {
    if (this.scheduled === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** How many times a task with this id was started: more than once breaks the port's promise. */
  starts(taskId: string): number {
    return this.started.get(taskId) ?? 0;
  }

  /** Calls `listener` with every change from now on; returns the unsubscribe function. */
  onUpdate(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Tasks that run before anyone looks (adopted from an earlier scheduler, or started by hand). */
  seed(tasks: readonly ObservedTask[]): void {
    for (const task of tasks) {
      if (this.tasks.has(task.taskId)) throw new Error(`task ${task.taskId} is already known`);
      this.put({ ...task });
    }
  }

  /** The task moves to `state` (a crash, a finish, a kill taking effect). An ended task stays ended. */
  settle(taskId: string, state: TaskState, detail: SettleDetail = {}): void {
    const task = this.known(taskId);
    if (isTerminal(task.state)) throw new Error(`task ${taskId} already ended (${task.state})`);
    this.update(taskId, { state, reason: detail.reason, message: detail.message });
  }

  /** The task's health check decided (or undecided again, with undefined). */
  setHealthy(taskId: string, healthy: boolean | undefined): void {
    const task = this.known(taskId);
    if (task.state !== 'RUNNING') throw new Error(`task ${taskId} is ${task.state}, not RUNNING`);
    this.update(taskId, { healthy });
  }

  /** Every active task on `host` is LOST, as when Mesos removes an agent. */
  loseAgent(host: string): void {
    for (const task of [...this.tasks.values()])
      if (task.host === host && !isTerminal(task.state))
        this.settle(task.taskId, 'LOST', { reason: REASON_AGENT_REMOVED, message: `agent ${host} removed` });
  }

  private fresh(launch: TaskLaunch): ObservedTask {
    const at = this.now();
    const host = this.hosts[this.placed++ % this.hosts.length]!;
    const ports = Object.fromEntries(
      launch.config.task.resources.ports.map((name, index) => [name, 31_000 + index]),
    );
    const { taskId, jobId, instance, configHash, commit, cronRun } = launch;
    return {
      taskId,
      jobId,
      instance,
      configHash,
      commit,
      ...(cronRun === undefined ? {} : { cronRun }),
      state: 'STARTING',
      updatedAt: at,
      launchedAt: at,
      host,
      ports,
    };
  }

  /**
   * What a task does on its own happens on a later turn of the event loop, as a real cluster
   * reports it after the call that caused it returned, and only if nothing else moved the
   * task meanwhile (a kill overtakes a start).
   */
  private later(taskId: string, from: TaskState, change: () => void): void {
    this.scheduled++;
    setImmediate(() => {
      if (this.tasks.get(taskId)?.state === from) change();
      if (--this.scheduled === 0) for (const resolve of this.idleWaiters.splice(0)) resolve();
    });
  }

  private known(taskId: string): ObservedTask {
    const task = this.tasks.get(taskId);
    if (task === undefined) throw new Error(`no task ${taskId}`);
    return task;
  }

  private update(taskId: string, change: Partial<ObservedTask>): void {
    const before = this.known(taskId);
    const after: ObservedTask = { ...before, ...change, updatedAt: this.now() };
    for (const key of ['healthy', 'reason', 'message'] as const)
      if (after[key] === undefined) delete after[key];
    this.put(after, before.state);
  }

  private put(task: ObservedTask, previous?: TaskState): void {
    const frozen = Object.freeze(task);
    this.tasks.set(task.taskId, frozen);
    this.cache = undefined;
    const update: TaskStatusUpdate = previous === undefined ? { task: frozen } : { task: frozen, previous };
    for (const listener of [...this.listeners]) {
      try {
        listener(update);
      } catch {
        // One faulty subscriber must not starve the others.
      }
    }
  }
}
