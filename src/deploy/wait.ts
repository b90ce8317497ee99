/** Waiting for the cluster without polling in a tight loop: the next status update or a deadline. */
import type { Cluster } from '../cluster/types.js';

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
