/**
 * Change detection for the sandbox root: inotify (fs.watch) on the root and on each live
 * sandbox for low latency, plus a slow poll as a safety net that also notices supervisors that
 * died without writing anything.
 */
import { watch, type FSWatcher } from 'node:fs';
import { join } from 'node:path';
import { KILL_FILE, PID_FILE, STATUS_FILE, TASK_FILE } from './sandbox-layout.js';

export interface SandboxWatcherOptions {
  root: string;
  /** Something in this sandbox (or its existence) may have changed. */
  onSandbox: (taskId: string) => void;
  /** Time for a full scan. */
  onPoll: () => void;
  pollMs: number;
}

const RELEVANT_FILES = new Set([STATUS_FILE, TASK_FILE, KILL_FILE, PID_FILE]);

export class SandboxWatcher {
  private rootWatcher: FSWatcher | undefined;
  private readonly sandboxWatchers = new Map<string, FSWatcher>();
  private poller: NodeJS.Timeout | undefined;

  constructor(private readonly options: SandboxWatcherOptions) {}

  start(): void {
    this.rootWatcher = this.tryWatch(this.options.root, (filename) => {
      if (filename === null) this.options.onPoll();
      else this.options.onSandbox(filename);
    });
    this.poller = setInterval(() => this.options.onPoll(), this.options.pollMs);
    this.options.onPoll();
  }

  /** Idempotent; a sandbox that vanished simply fails to be watched. */
  watchSandbox(taskId: string): void {
    if (this.poller === undefined || this.sandboxWatchers.has(taskId)) return;
    const watcher = this.tryWatch(
      join(this.options.root, taskId),
      (filename) => {
        if (filename === null || RELEVANT_FILES.has(filename)) this.options.onSandbox(taskId);
      },
      () => this.unwatchSandbox(taskId),
    );
    if (watcher !== undefined) this.sandboxWatchers.set(taskId, watcher);
  }

  /** Terminal and removed sandboxes change no more; dropping them keeps inotify use bounded. */
  unwatchSandbox(taskId: string): void {
    this.sandboxWatchers.get(taskId)?.close();
    this.sandboxWatchers.delete(taskId);
  }

  stop(): void {
    if (this.poller !== undefined) clearInterval(this.poller);
    this.poller = undefined;
    this.rootWatcher?.close();
    this.rootWatcher = undefined;
    for (const watcher of this.sandboxWatchers.values()) watcher.close();
    this.sandboxWatchers.clear();
  }

  private tryWatch(
    path: string,
    onEvent: (filename: string | null) => void,
    onError: () => void = () => undefined,
  ): FSWatcher | undefined {
    try {
      const watcher = watch(path, { persistent: true }, (_event, filename) => onEvent(filename));
      watcher.on('error', () => {
        watcher.close();
        onError();
      });
      return watcher;
    } catch {
      return undefined;
    }
  }
}
