/**
 * When a lost or failed instance may be relaunched. Each termination of the instance in
 * the recent window doubles the wait, so a task that dies at once does not turn into a
 * launch storm, while a task that ran for a long time comes back immediately.
 */
import { endedOnItsOwn, type ObservedTask } from '../cluster/types.js';

export interface BackoffPolicy {
  initialMs: number;
  maxMs: number;
  /** Terminations older than this no longer count. */
  windowMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { initialMs: 1_000, maxMs: 60_000, windowMs: 10 * 60_000 };

/**
 * Epoch ms at which the instance may be relaunched, given its ended tasks. A task Borealis
 * killed itself (an update, `borealis local down`) says nothing about the instance: it
 * does not count.
 */
export function relaunchAt(history: readonly ObservedTask[], now: number, policy: BackoffPolicy): number {
  const recent = history.filter((task) => endedOnItsOwn(task) && now - task.updatedAt < policy.windowMs);
  if (recent.length === 0) return now;
  const lastEnd = Math.max(...recent.map((task) => task.updatedAt));
  const delay = Math.min(policy.initialMs * 2 ** (recent.length - 1), policy.maxMs);
  return lastEnd + delay;
}
