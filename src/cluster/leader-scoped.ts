/**
 * A backend only the leader may hold, such as a Mesos framework: Mesos keeps one
 * subscription per framework id, so among several reconcilers only the leader subscribes.
 * It is opened when this reconciler is elected and closed the moment leadership is lost
 * (a new leader's SUBSCRIBE with the same framework id would fail this one over anyway).
 * Reads while following go to `follower`, a read-only view of the same cluster.
 */
import type { Leadership } from '../leadership.js';
import { NotLeaderError } from './fenced.js';
import type { Cluster, ObservedTask, TaskLaunch, TaskStatusUpdate } from './types.js';

export interface LeaderScopedOptions {
  kind: string;
  leadership: Leadership;
  /** Opens the backend for a new term of leadership (e.g. subscribes as the framework). */
  open: () => Promise<Cluster>;
  /** What followers read; without one, reads fail while following. */
  follower?: Cluster;
  log?: (line: string) => void;
}

export class LeaderScopedCluster implements Cluster {
  readonly kind: string;
  private opening: Promise<Cluster> | undefined;
  private readonly listeners = new Set<(update: TaskStatusUpdate) => void>();
  private readonly unwatch: () => void;
  /** Serialises opening and closing, so a quick loss after a win closes what was opened. */
  private transition: Promise<void> = Promise.resolve();

  constructor(private readonly options: LeaderScopedOptions) {
    this.kind = options.kind;
    this.unwatch = options.leadership.onChange((leading) => this.follow(leading));
    if (options.leadership.isLeader()) this.follow(true);
  }

  async snapshot(): Promise<readonly ObservedTask[]> {
    if (this.options.leadership.isLeader()) return (await this.leading()).snapshot();
    if (this.options.follower) return this.options.follower.snapshot();
    throw new NotLeaderError('read the cluster');
  }

  async launch(tasks: TaskLaunch[]): Promise<void> {
    if (tasks.length > 0) await (await this.leading('launch tasks')).launch(tasks);
  }

  async kill(taskIds: string[]): Promise<void> {
    if (taskIds.length > 0) await (await this.leading('kill tasks')).kill(taskIds);
  }

  async forget(taskIds: string[]): Promise<void> {
    if (taskIds.length > 0) await (await this.leading('forget tasks')).forget(taskIds);
  }

  subscribe(listener: (update: TaskStatusUpdate) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    this.unwatch();
    this.follow(false);
    await this.transition;
    await this.options.follower?.close();
  }

  /** The backend of the current term, opened on first use if the election was just won. */
  private leading(action?: string): Promise<Cluster> {
    if (!this.options.leadership.isLeader()) return Promise.reject(new NotLeaderError(action ?? 'act'));
    if (!this.opening) this.follow(true);
    return this.opening!;
  }

  private follow(leading: boolean): void {
    if (leading && !this.opening) {
      const opening = this.open();
      this.opening = opening;
      // A failed open is retried on the next use, not remembered.
      opening.catch((error: unknown) => {
        if (this.opening === opening) this.opening = undefined;
        this.options.log?.(`cannot open the ${this.kind} backend: ${describe(error)}`);
      });
    } else if (!leading && this.opening) {
      const closing = this.opening;
      this.opening = undefined;
      this.transition = this.transition.then(async () => {
        const backend = await closing.catch(() => undefined);
        await backend?.close();
      });
    }
  }

  private async open(): Promise<Cluster> {
    await this.transition; // the previous term's backend is closed first
    const backend = await this.options.open();
    backend.subscribe((update) => {
      for (const listener of this.listeners) listener(update);
    });
    return backend;
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
