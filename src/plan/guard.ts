/**
 * Refuses plans that would stop most of what runs at once. An emptied or wrongly rebased
 * branch, or a --path pointing at the wrong directory, looks exactly like "delete every
 * job"; that must never happen without an operator saying so.
 */
import { isTerminal, type ObservedTask } from '../cluster/types.js';
import type { JobId } from '../spec/types.js';
import type { JobChange, Plan } from './types.js';

export function massKillCheck(
  changes: readonly JobChange[],
  observedByJob: ReadonlyMap<JobId, readonly ObservedTask[]>,
): Plan['massKill'] {
  // Nearly every plan kills nothing: answer that before looking at 100,000 tasks.
  const killing = changes.filter((change) => change.action === 'kill' || change.action === 'orphan');
  if (killing.length === 0) return undefined;
  const running = new Set<JobId>();
  for (const [job, tasks] of observedByJob)
    if (tasks.some((task) => !isTerminal(task.state))) running.add(job);
  const killed = killing.filter((change) => running.has(change.job)).length;
  if (running.size === 0 || killed * 2 <= running.size) return undefined;
  const scope = killed === running.size ? 'every running job' : `${killed} of ${running.size} running jobs`;
  return {
    killed,
    running: running.size,
    message: `this plan would kill ${scope}; pass --allow-mass-kill if that is intended`,
  };
}
