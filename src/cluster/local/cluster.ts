/**
 * The embedded `local` backend: each task is a detached supervisor process (a small Thermos)
 * on this machine, with its sandbox under `root`. Everything the cluster knows is read back
 * from the sandboxes, so any LocalCluster on the same root sees the same tasks. A process
 * whose task has no readable sandbox is an orphan, found by its marker (task-markers.ts) and
 * stopped before the instance can look empty: never two tasks for one instance.
 */
import { mkdirSync } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import { hostname as osHostname } from 'node:os';
import { join, resolve } from 'node:path';
import {
  isTerminal,
  type Cluster,
  type ObservedTask,
  type TaskLaunch,
  type TaskStatusUpdate,
} from '../types.js';
import { fileExists, writeFileDurably, writeJsonDurably } from '../../util/durable-file.js';
import { KeyedSerializer } from './keyed-serializer.js';
import { createSandbox, startSupervisor } from './launcher.js';
import { allocatePorts, assignPorts } from './ports.js';
import { isSameProcessAlive, waitUntilGone } from '../../util/proc.js';
import { REASON_EXECUTOR_TERMINATED, type PidRecord } from './records.js';
import { assertSafeTaskId, sandboxPaths, type SandboxPaths } from './sandbox-layout.js';
import { SandboxWatcher } from './sandbox-watcher.js';
import { findTaskProcesses, KILL_WAIT_MS, killTaskProcesses } from './task-markers.js';
import {
  lostStatus,
  readSandbox,
  supervisorGone,
  toObservedTask,
  type SandboxView,
} from './status-reader.js';

export interface LocalClusterOptions {
  /** Directory holding one sandbox per task. */
  root: string;
  /** Reported as every task's host and bound to `{{mesos.hostname}}`; defaults to os.hostname(). */
  hostname?: string;
  now?: () => number;
  /** Safety-net scan interval for subscribers, in ms. */
  pollMs?: number;
  /**
   * Observe without stopping anything (`plan`, `status`): an orphan is left to the next
   * reconcile, and its instance looks empty, as it will once that reconcile has stopped it.
   */
  readOnly?: boolean;
}

type Listener = (update: TaskStatusUpdate) => void;

const DEFAULT_POLL_MS = 1000;

function isDefined<T>(value: T | undefined): value is T {
  return value !== undefined;
}

function isSafeTaskId(taskId: string): boolean {
  try {
    assertSafeTaskId(taskId);
    return true;
  } catch {
    return false;
  }
}

/** What subscribers care about; process-level churn in status.json is not a task change. */
function taskChanged(before: ObservedTask, after: ObservedTask): boolean {
  return (
    before.state !== after.state ||
    before.healthy !== after.healthy ||
    before.reason !== after.reason ||
    before.message !== after.message
  );
}

function supervisorAlive(pid: PidRecord): boolean {
  return isSameProcessAlive(pid.pid, pid.startTime);
}

export class LocalCluster implements Cluster {
  readonly kind = 'local';
  readonly root: string;
  private readonly hostname: string;
  private readonly now: () => number;
  private readonly pollMs: number;
  private readonly known = new Map<string, ObservedTask>();
  private readonly listeners = new Set<Listener>();
  private readonly reads = new KeyedSerializer<ObservedTask | undefined>();
  private watcher: SandboxWatcher | undefined;
  private polling = false;
  private orphansStopped = 0;
  private readonly readOnly: boolean;

  constructor(options: LocalClusterOptions) {
    this.root = resolve(options.root);
    this.hostname = options.hostname ?? osHostname();
    this.now = options.now ?? Date.now;
    this.pollMs = options.pollMs ?? DEFAULT_POLL_MS;
    this.readOnly = options.readOnly ?? false;
  }

  /** The sandbox directory of a task (logs are under `logs/<process>.log`). */
  sandboxPath(taskId: string): string {
    assertSafeTaskId(taskId);
    return join(this.root, taskId);
  }

  async snapshot(): Promise<readonly ObservedTask[]> {
    const ids = await this.sandboxIds();
    const tasks = (await Promise.all(ids.map((id) => this.refresh(id)))).filter(isDefined);
    return [...tasks, ...(await this.checkMarkedProcesses(tasks))];
  }

  /**
   * Stops the processes of every task of this cluster that has no readable sandbox (removed,
   * garbled, the state directory wiped); returns how many such tasks there were.
   */
  async stopOrphans(): Promise<number> {
    const before = this.orphansStopped;
    await this.snapshot();
    return this.orphansStopped - before;
  }

  /** Resolves once no process of these tasks runs any more, or at `deadline` (epoch ms). */
  async waitForProcessesGone(taskIds: readonly string[], deadline: number): Promise<void> {
    const ids = new Set(taskIds);
    await waitUntilGone(
      findTaskProcesses(this.root).filter((found) => ids.has(found.marker.taskId)),
      deadline,
    );
  }

  /**
   * A task whose sandbox already exists is left alone, so a retried launch is harmless;
   * one whose launcher died between writing the sandbox and starting its supervisor gets
   * the supervisor now (a supervisor already booting keeps the sandbox; see CLAIM_FILE).
   */
  async launch(tasks: TaskLaunch[]): Promise<void> {
    for (const task of tasks) assertSafeTaskId(task.taskId);
    await this.completeHalfLaunched(tasks);
    await this.stopEarlierIncarnations(tasks);
    const fresh = await this.unlaunched(tasks);
    const portNames = fresh.map((task) => task.config.task.resources.ports);
    const numbers = await allocatePorts(portNames.flat().length);
    let offset = 0;
    const seeds = fresh.map((launch, index) => {
      const names = portNames[index] ?? [];
      const ports = assignPorts(names, numbers.slice(offset, offset + names.length));
      offset += names.length;
      return { launch, ports };
    });
    await Promise.all(seeds.map(({ launch, ports }) => this.launchOne(launch, ports)));
  }

  async kill(taskIds: string[]): Promise<void> {
    await Promise.all(taskIds.filter(isSafeTaskId).map((taskId) => this.killOne(taskId)));
  }

  async forget(taskIds: string[]): Promise<void> {
    await Promise.all(taskIds.filter(isSafeTaskId).map((taskId) => this.forgetOne(taskId)));
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    this.startWatching();
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) this.stopWatching();
    };
  }

  /** Stops watching; the tasks keep running and a later LocalCluster adopts them. */
  close(): Promise<void> {
    this.listeners.clear();
    this.stopWatching();
    return Promise.resolve();
  }

  private paths(taskId: string): SandboxPaths {
    return sandboxPaths(join(this.root, taskId));
  }

  private async sandboxIds(): Promise<string[]> {
    try {
      const entries = await readdir(this.root, { withFileTypes: true });
      return entries
        .filter((entry) => entry.isDirectory() && isSafeTaskId(entry.name))
        .map((entry) => entry.name);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
  }

  /**
   * Processes of tasks not seen active among `tasks`: of a task launched since its sandbox
   * was listed (seen now), of one whose sandbox is unreadable (stopped), or strays of an ended
   * one (stopped: a supervisor writes the final state only after its processes are gone).
   */
  private async checkMarkedProcesses(tasks: readonly ObservedTask[]): Promise<ObservedTask[]> {
    const described = new Map(tasks.map((task) => [task.taskId, task]));
    const marked = new Set(findTaskProcesses(this.root).map((found) => found.marker.taskId));
    const launchedSince: ObservedTask[] = [];
    for (const taskId of [...marked].filter(isSafeTaskId)) {
      const task = described.get(taskId);
      if (task !== undefined && !isTerminal(task.state)) continue;
      if (task !== undefined) {
        if (!this.readOnly) await killTaskProcesses(this.root, taskId, Date.now() + KILL_WAIT_MS);
        continue;
      }
      const seen = await this.refresh(taskId);
      if (seen !== undefined) launchedSince.push(seen);
    }
    return launchedSince;
  }

  /**
   * A retried launch of a task whose sandbox was removed under it would start a second copy
   * carrying the same marker, invisible beside the first: observing the task first stops
   * what is left of the earlier one (and sees the sandbox if someone just launched it).
   */
  private async stopEarlierIncarnations(tasks: TaskLaunch[]): Promise<void> {
    const marked = new Set(findTaskProcesses(this.root).map((found) => found.marker.taskId));
    const rerun = tasks.filter((task) => marked.has(task.taskId));
    await Promise.all(rerun.map((task) => this.refresh(task.taskId)));
  }

  private async completeHalfLaunched(tasks: TaskLaunch[]): Promise<void> {
    for (const task of tasks) {
      const paths = this.paths(task.taskId);
      const view = await readSandbox(paths);
      if (view === undefined || view.pid !== undefined || isTerminal(view.status.state)) continue;
      await startSupervisor(paths, this.identity(task.taskId), false);
      await this.refresh(task.taskId);
    }
  }

  private async unlaunched(tasks: TaskLaunch[]): Promise<TaskLaunch[]> {
    const unique = [...new Map(tasks.map((task) => [task.taskId, task])).values()];
    const exists = await Promise.all(unique.map((task) => fileExists(this.paths(task.taskId).task)));
    return unique.filter((_task, index) => !exists[index]);
  }

  private async launchOne(launch: TaskLaunch, ports: Record<string, number>): Promise<void> {
    const paths = this.paths(launch.taskId);
    await createSandbox(paths, { launch, ports, hostname: this.hostname, launchedAt: this.now() });
    await startSupervisor(paths, this.identity(launch.taskId));
    await this.refresh(launch.taskId);
  }

  /**
   * The request file survives us and covers a supervisor not yet ready for signals; the
   * signal is for one that is. The supervisor writes `ready` before it reads the request, and
   * we write the request before we read `ready`, so at least one of the two notices. KILLING is
   * observed (and emitted) before the signal goes out, so it always precedes the final state.
   */
  private async killOne(taskId: string): Promise<void> {
    const paths = this.paths(taskId);
    const view = await readSandbox(paths);
    // Without a sandbox, observing the task stops whatever of it still runs.
    if (view === undefined) await this.refresh(taskId);
    if (view === undefined || isTerminal(view.status.state)) return;
    if (!view.killRequested) await writeFileDurably(paths.kill, `${this.now()}\n`);
    await this.refresh(taskId);
    if (view.pid !== undefined && (await fileExists(paths.ready)) && supervisorAlive(view.pid)) {
      try {
        process.kill(view.pid.pid, 'SIGTERM');
      } catch {
        // Exited meanwhile: the next read reports its final state, or LOST.
      }
    }
  }

  private async forgetOne(taskId: string): Promise<void> {
    const task = await this.refresh(taskId);
    if (task === undefined || !isTerminal(task.state)) return;
    this.watcher?.unwatchSandbox(taskId);
    await rm(this.paths(taskId).dir, { recursive: true, force: true });
    this.known.delete(taskId);
  }

  private refresh(taskId: string): Promise<ObservedTask | undefined> {
    return this.reads.run(taskId, () => this.readAndObserve(taskId));
  }

  private identity(taskId: string): { root: string; taskId: string } {
    return { root: this.root, taskId };
  }

  private async readAndObserve(taskId: string): Promise<ObservedTask | undefined> {
    const paths = this.paths(taskId);
    let view = (await readSandbox(paths)) ?? (await this.unlessOrphaned(taskId, paths));
    if (view !== undefined && supervisorGone(view, supervisorAlive, this.now())) {
      // The supervisor may have written its final state and exited since the read above; now
      // that it is known dead, a fresh read is conclusive.
      view = (await readSandbox(paths)) ?? (await this.unlessOrphaned(taskId, paths));
      if (view !== undefined && supervisorGone(view, supervisorAlive, this.now())) {
        view = await this.markLost(paths, view);
      }
    }
    if (view === undefined) {
      this.reportVanished(taskId);
      return undefined;
    }
    const task = toObservedTask(view);
    this.observe(task);
    if (isTerminal(task.state)) this.watcher?.unwatchSandbox(taskId);
    else this.watcher?.watchSandbox(taskId);
    return task;
  }

  /**
   * An unreadable sandbox with live processes of its task: read again, since a process found
   * now was started after its task.json was written (a launch under way is not an orphan);
   * still unreadable, the processes are killed before anyone sees the instance empty, as a
   * Mesos agent destroys the containers it has no record of.
   */
  private async unlessOrphaned(taskId: string, paths: SandboxPaths): Promise<SandboxView | undefined> {
    if (findTaskProcesses(this.root, taskId).length === 0) return undefined;
    const view = await readSandbox(paths);
    if (view !== undefined || this.readOnly) return view;
    await killTaskProcesses(this.root, taskId, Date.now() + KILL_WAIT_MS);
    this.orphansStopped += 1;
    return undefined;
  }

  /**
   * A subscriber that saw the task active learns it ended, whoever stopped what was left of it
   * (another LocalCluster on the same root may have); a later reader no longer sees it.
   */
  private reportVanished(taskId: string): void {
    const before = this.known.get(taskId);
    if (before === undefined || isTerminal(before.state)) return;
    this.observe({
      ...before,
      state: 'LOST',
      reason: REASON_EXECUTOR_TERMINATED,
      message: 'Sandbox missing or unreadable: the task was stopped',
      updatedAt: this.now(),
    });
    this.watcher?.unwatchSandbox(taskId);
  }

  /** Persisted so every reader agrees, and the task's stray processes die as in a Mesos agent. */
  private async markLost(paths: SandboxPaths, view: SandboxView): Promise<SandboxView> {
    await killTaskProcesses(this.root, view.record.taskId, Date.now() + KILL_WAIT_MS);
    const status = lostStatus(view.status, this.now());
    await writeJsonDurably(paths.status, status);
    return { ...view, status };
  }

  private observe(task: ObservedTask): void {
    const before = this.known.get(task.taskId);
    if (before !== undefined && isTerminal(before.state)) return;
    this.known.set(task.taskId, task);
    if (before !== undefined && !taskChanged(before, task)) return;
    const update: TaskStatusUpdate = before === undefined ? { task } : { task, previous: before.state };
    for (const listener of [...this.listeners]) {
      try {
        listener(update);
      } catch {
        // One faulty subscriber must not starve the others.
      }
    }
  }

  private startWatching(): void {
    if (this.watcher !== undefined) return;
    mkdirSync(this.root, { recursive: true });
    this.watcher = new SandboxWatcher({
      root: this.root,
      onSandbox: (taskId) => {
        if (isSafeTaskId(taskId)) this.refresh(taskId).catch(() => undefined);
      },
      onPoll: () => void this.poll(),
      pollMs: this.pollMs,
    });
    this.watcher.start();
  }

  private stopWatching(): void {
    this.watcher?.stop();
    this.watcher = undefined;
  }

  private async poll(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      await this.snapshot();
    } catch {
      // The next poll retries; a transient read error is no reason to stop watching.
    } finally {
      this.polling = false;
    }
  }
}
