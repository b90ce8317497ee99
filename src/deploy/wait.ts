/** Waiting for the cluster without polling in a tight loop: the next status update or a deadline. */
import { isTerminal, type Cluster, type ObservedTask } from '../cluster/types.js';

export function nextUpdateOrTimeout(
  cluster: Cluster,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      unsubscribe();
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, Math.max(0, timeoutMs));
    const unsubscribe = cluster.subscribe(done);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** Resolves once no task `watched` selects is alive (or the signal aborts). */
export async function waitUntilEnded(
  cluster: Cluster,
  watched: (task: ObservedTask) => boolean,
  pollMs: number,
  signal?: AbortSignal,
): Promise<void> {
  while (!signal?.aborted) {
    const alive = (await cluster.snapshot()).filter((task) => watched(task) && !isTerminal(task.state));
    if (alive.length === 0) return;
    await nextUpdateOrTimeout(cluster, pollMs, signal);
  }
}
