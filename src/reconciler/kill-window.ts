/** The mass-kill guard's window (src/plan/guard.ts) read from the deployment log. */
import { killedJobs, windowedMassKillCheck, type KillWindow, type PastKills } from '../plan/guard.js';
import type { Plan } from '../plan/types.js';
import type { DeploymentLog, DeploymentRecord, Outcome } from '../state/deployments.js';

/** Outcomes whose plan's kills were carried out (kills come last, after every rollout ended). */
const KILLS_CARRIED_OUT: ReadonlySet<Outcome> = new Set(['succeeded', 'failed', 'rolled_back']);

/** Whether `plan`, with the deployments before the one numbered `sequence`, kills too much. */
export async function windowedMassKill(
  plan: Plan,
  deployments: DeploymentLog,
  window: KillWindow,
  sequence: number,
  now: number,
): Promise<Plan['massKill']> {
  // Nearly every plan kills nothing: the log is read only for one that does.
  if (window.commits === 0 || killedJobs(plan.changes) === 0) return undefined;
  const records = await deployments.list(window.commits + 1);
  const past = records.filter((record) => record.sequence < sequence).map(pastKills);
  return windowedMassKillCheck(plan, past, window, now);
}

function pastKills(record: DeploymentRecord): PastKills {
  const carriedOut = KILLS_CARRIED_OUT.has(record.outcome) && record.plan !== undefined;
  return {
    at: Date.parse(record.started_at),
    killed: carriedOut ? killedJobs(record.plan!.changes) : 0,
    allowed: carriedOut && record.plan!.massKill !== undefined,
  };
}

/** `plan` with the window's verdict when its own check passed: what applying it would meet. */
export async function withKillWindow(
  plan: Plan,
  deployments: DeploymentLog,
  window: KillWindow,
  sequence: number,
  now: number,
): Promise<Plan> {
  if (plan.massKill) return plan;
  const massKill = await windowedMassKill(plan, deployments, window, sequence, now);
  return massKill ? { ...plan, massKill } : plan;
}
