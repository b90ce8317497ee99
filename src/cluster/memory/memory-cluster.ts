/**
 * The reference `Cluster`: the port over `MemoryTasks`, with no processes, network or clock
 * of its own. It keeps every rule the port states (a launch or kill repeated for the same
 * task id is harmless, the same frozen snapshot while nothing changed, updates to
 * subscribers, forget drops ended tasks only), and the Cluster contract suite holds it to
 * them as it holds the local and Mesos backends. A new MemoryCluster on the same
 * `MemoryTasks` is a scheduler restarted: it sees, and can kill, what the last one launched.
 */
import type { Cluster, ObservedTask, TaskLaunch, TaskStatusUpdate } from '../types.js';
import { MemoryTasks } from './memory-tasks.js';

export class MemoryCluster implements Cluster {
  readonly kind = 'memory';
  private readonly unsubscribers = new Set<() => void>();
  private closed = false;

  constructor(readonly tasks: MemoryTasks = new MemoryTasks()) {}

  snapshot(): Promise<readonly ObservedTask[]> {
    return this.whileOpen(() => this.tasks.snapshot());
  }

  launch(launches: TaskLaunch[]): Promise<void> {
    return this.whileOpen(() => this.tasks.launch(launches));
  }

  kill(taskIds: string[]): Promise<void> {
    return this.whileOpen(() => this.tasks.kill(taskIds));
  }

  forget(taskIds: string[]): Promise<void> {
    return this.whileOpen(() => this.tasks.forget(taskIds));
  }

  subscribe(listener: (update: TaskStatusUpdate) => void): () => void {
    if (this.closed) return () => undefined;
    const unsubscribe = this.tasks.onUpdate(listener);
    this.unsubscribers.add(unsubscribe);
    return () => {
      unsubscribe();
      this.unsubscribers.delete(unsubscribe);
    };
  }

  /** Stops every subscription; the tasks keep running for the next MemoryCluster. */
  close(): Promise<void> {
    this.closed = true;
    for (const unsubscribe of this.unsubscribers) unsubscribe();
    this.unsubscribers.clear();
    return Promise.resolve();
  }

  /** Runs on the next microtask, so a throw is a rejection, as from any other backend. */
  private whileOpen<T>(operation: () => T): Promise<T> {
    return Promise.resolve().then(() => {
      if (this.closed) throw new Error('the memory cluster is closed');
      return operation();
    });
  }
}
