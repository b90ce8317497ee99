/**
 * How far a job's rollout is, for people watching it: instances done of the rollout's
 * total and the phase it is in. Read from the saved rollout state, not from the plan, so a
 * rollout resumed after a restart counts the instances an earlier run already updated.
 */
import type { ObservedTask } from '../cluster/types.js';
import { isFinished, isInFlight, isThrough, type RolloutState } from './rollout.js';

export interface RolloutProgress {
  /** Instances through (updated, rolled back, or failed) of `total`. */
  done: number;
  total: number;
  /** e.g. `creating`, `updating batch 2 of 3`, `watching batch 2 of 3`, `rolling back`, `rolled forward`. */
  phase: string;
}

const FINISHED_PHASES: Record<string, string> = {
  ROLLED_FORWARD: 'rolled forward',
  ROLLED_BACK: 'rolled back',
  FAILED: 'failed',
};

export function rolloutProgress(state: RolloutState, tasks: readonly ObservedTask[]): RolloutProgress {
  const done = state.instances.filter(isThrough).length;
  return { done, total: state.instances.length, phase: phaseOf(state, tasks) };
}

function phaseOf(state: RolloutState, tasks: readonly ObservedTask[]): string {
  if (isFinished(state)) return FINISHED_PHASES[state.status] ?? state.status.toLowerCase();
  if (state.status === 'ROLLING_BACK') return 'rolling back';
  // A new job (nothing to return to) starts every instance at once.
  if (state.previous === undefined) return 'creating';
  const size = Math.max(1, state.settings.batch_size);
  const batches = Math.ceil(state.instances.length / size);
  const next = state.instances.findIndex((p) => !isThrough(p));
  const batch = `batch ${Math.floor(Math.max(next, 0) / size) + 1} of ${batches}`;
  return `${watching(state, tasks) ? 'watching' : 'updating'} ${batch}`;
}

/** Every instance in flight runs the target, healthy: only its watch period is left. */
function watching(state: RolloutState, tasks: readonly ObservedTask[]): boolean {
  const inFlight = state.instances.filter(isInFlight);
  if (inFlight.length === 0) return false;
  const byId = new Map(tasks.map((task) => [task.taskId, task]));
  return inFlight.every((p) => {
    const task = p.status === 'starting' && p.taskId ? byId.get(p.taskId) : undefined;
    return task?.state === 'RUNNING' && task.healthy !== false;
  });
}

/** `2/3 updating batch 2 of 3` */
export function describeProgress(progress: RolloutProgress): string {
  return `${progress.done}/${progress.total} ${progress.phase}`;
}
