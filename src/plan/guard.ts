/**
 * Refuses plans that would stop most of what runs at once. An emptied or wrongly rebased
 * branch, or a --path pointing at the wrong directory, looks exactly like "delete every
 * job"; that must never happen without an operator saying so.
 */
import { isTerminal, type ObservedTask } from '../cluster/types.js';
import type { JobId } from '../jobspec/types.js';
import type { JobChange, Plan } from './types.js';

export function massKillCheck(
  changes: readonly JobChange[],
  observedByJob: ReadonlyMap<JobId, readonly ObservedTask[]>,
): Plan['massKill'] {
  // Nearly every plan kills nothing: answer that before looking at every task of a large cluster.
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

/**
 * The guard over several commits: deleting most jobs a slice at a time ("salami") never
 * trips a per-plan check, so kills are also summed over recent deployments. The window is
 * the last `commits` deployments of the last `ms`, read from the deployment log, so it
 * survives restarts; it starts after the newest deployment an operator let kill en masse.
 */
export interface KillWindow {
  /** Deployments looked back over; 0 turns the window off. */
  commits: number;
  ms: number;
}

export const DEFAULT_KILL_WINDOW: KillWindow = { commits: 10, ms: 24 * 3_600_000 };

/** One deployment as the window sees it. */
export interface PastKills {
  at: number;
  /** Running jobs it killed. */
  killed: number;
  /** It was applied although it killed too much: an operator allowed that. */
  allowed: boolean;
}

export function windowedMassKillCheck(
  plan: Pick<Plan, 'changes'>,
  past: readonly PastKills[],
  window: KillWindow,
  now: number,
): Plan['massKill'] {
  const killing = killedJobs(plan.changes);
  if (killing === 0 || window.commits === 0) return undefined;
  const recent: PastKills[] = [];
  for (const entry of past.slice(0, window.commits)) {
    if (entry.allowed || now - entry.at > window.ms) break;
    recent.push(entry);
  }
  const before = recent.reduce((sum, entry) => sum + entry.killed, 0);
  // The jobs running when the window opened: those running now and those it killed since.
  const running = runningJobs(plan.changes) + before;
  const killed = before + killing;
  if (before === 0 || killed * 2 <= running) return undefined;
  const deployments = recent.filter((entry) => entry.killed > 0).length;
  return {
    killed,
    running,
    message: `this plan and ${deployments} recent deployment(s) would kill ${killed} of ${running} running jobs within ${windowText(window)}; pass --allow-mass-kill if that is intended`,
  };
}

/** Jobs a plan kills that run now (a job or orphan with live tasks to kill). */
export function killedJobs(changes: readonly JobChange[]): number {
  return changes.filter(
    (change) => (change.action === 'kill' || change.action === 'orphan') && change.killTasks.length > 0,
  ).length;
}

/** Jobs that run now, as a plan sees them: declared ones with live instances, and those it kills. */
function runningJobs(changes: readonly JobChange[]): number {
  return changes.filter(
    (change) =>
      change.instances.unchanged.length + change.instances.update.length > 0 || change.killTasks.length > 0,
  ).length;
}

function windowText(window: KillWindow): string {
  const hours = window.ms / 3_600_000;
  const span = Number.isInteger(hours) ? `${hours} h` : `${Math.round(window.ms / 1000)} s`;
  return `the last ${window.commits} deployments (${span})`;
}
