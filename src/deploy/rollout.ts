/**
 * Aurora's rolling update as a pure, resumable state machine. `stepRollout` looks at the
 * saved state and the job's observed tasks and returns the next state plus the cluster
 * actions to take. The caller saves the new state *before* acting, so a reconciler killed
 * at any instant resumes exactly here: task ids are chosen (and saved) before launch, and
 * launching or killing the same task id twice is harmless.
 */
import { isTerminal, type ObservedTask } from '../cluster/types.js';
import { progressDeadlineSecs } from '../jobspec/types.js';
import {
  activeTask,
  advanceInstance,
  startInstance,
  stallInstance,
  type Turn,
} from './instance-transitions.js';

export { LOST_RELAUNCHES } from './instance-transitions.js';
export type {
  ConfigVersion,
  InstanceProgress,
  InstanceStep,
  RolloutAction,
  RolloutEvent,
  RolloutState,
  RolloutStatus,
  RolloutStep,
  StepContext,
} from './rollout-types.js';
import type {
  InstanceProgress,
  RolloutAction,
  RolloutState,
  RolloutStep,
  StepContext,
} from './rollout-types.js';

/**
 * Whether an instance is between being stopped and being confirmed: it takes a place in
 * the batch, and a rollout with one is not at a batch boundary.
 */
export function isInFlight(progress: InstanceProgress): boolean {
  return progress.status === 'stopping' || progress.status === 'starting';
}

export function hasInFlight(state: RolloutState): boolean {
  return state.instances.some(isInFlight);
}

/**
 * Whether the rollout may stop here for a newer commit: no instance is between its old task
 * and its new one. An instance whose new task is out there is only being watched (or
 * health-checked, or placed), which may take as long as the job says; stopping then leaves
 * each instance one task, and the newer commit's rollout takes them on within its own batch
 * size. Only the kill of an old task (bounded by its finalization wait) is waited for.
 * A new job's first rollout is the exception: stopped before it ends, the job would have no
 * record, so the newer commit could not roll it back; it ends by its progress deadline.
 */
export function canYield(state: RolloutState, tasks: readonly ObservedTask[]): boolean {
  if (!state.previous) return !hasInFlight(state);
  const alive = new Set(tasks.filter((task) => !isTerminal(task.state)).map((task) => task.taskId));
  return state.instances.every((progress) =>
    progress.status === 'starting'
      ? progress.taskId !== undefined && alive.has(progress.taskId)
      : progress.status !== 'stopping',
  );
}

/**
 * A reconciler that died between saving a step and finishing its actions left them half
 * done (a sandbox written but no process started, a kill not yet sent). Both are safe to
 * repeat for the same task ids, so a resumed rollout repeats them.
 */
export function inFlightActions(state: RolloutState): RolloutAction[] {
  return state.instances.flatMap((progress): RolloutAction[] => {
    if (progress.status === 'starting' && progress.taskId) {
      return [
        { kind: 'launch', instance: progress.instance, taskId: progress.taskId, version: state.target },
      ];
    }
    if (progress.status === 'stopping' && progress.oldTaskId)
      return [{ kind: 'kill', taskId: progress.oldTaskId }];
    return [];
  });
}

export function isFinished(state: RolloutState): boolean {
  return state.status !== 'ROLLING_FORWARD' && state.status !== 'ROLLING_BACK';
}

export function stepRollout(
  previous: RolloutState,
  tasks: readonly ObservedTask[],
  context: StepContext,
): RolloutStep {
  const state: RolloutState = structuredClone(previous);
  const step: RolloutStep = { state, actions: [], events: [] };
  if (isFinished(state)) return step;
  const byId = new Map(tasks.map((task) => [task.taskId, task]));
  const turn: Turn = { state, tasks, byId, context, step };
  for (const progress of state.instances) advanceInstance(progress, turn);
  const stalled = step.events.length === 0 && hasInFlight(state) && context.now >= progressDeadline(state);
  if (stalled) missDeadline(turn);
  else if (failedCount(state) > state.settings.max_total_failures) failRollout(turn);
  if (!isFinished(state)) {
    if (!context.yielding) startNextInstances(turn);
    if (state.instances.every(isThrough)) completeRollout(turn);
  }
  return finish(turn);
}

/** Whether an instance is through the rollout: updated (or rolled back), or failed. */
export function isThrough(progress: InstanceProgress): boolean {
  return progress.status === 'done' || progress.status === 'failed';
}

/** Epoch ms by which the rollout must move an instance along again, or fail. */
export function progressDeadline(state: RolloutState): number {
  const since = Math.max(lastProgress(state), state.resumedAt ?? 0);
  return since + progressDeadlineSecs(state.settings) * 1000;
}

/** When the rollout last moved an instance along: a rollout still for too long is stuck. */
export function lastProgress(state: RolloutState): number {
  return state.progressedAt ?? state.startedAt;
}

/**
 * Nothing moved for the whole progress deadline (health never passes, a task never runs,
 * an old task never ends): the instances in flight fail, and so does the rollout whatever
 * its failure budget, rolling back when it may. A rollback has a deadline of its own.
 * A task this step was about to launch for a failed instance is not launched: the rollback
 * decides from the tasks observed before this step, so it would never kill it.
 */
function missDeadline(turn: Turn): void {
  const { state, step } = turn;
  const detail = `no progress for ${progressDeadlineSecs(state.settings)} s (update_config.progress_deadline_secs)`;
  const stalled = state.instances.filter(isInFlight);
  for (const progress of stalled) stallInstance(progress, detail, turn);
  const failed = new Set(stalled.map((progress) => progress.instance));
  step.actions = step.actions.filter((action) => action.kind !== 'launch' || !failed.has(action.instance));
  failRollout(turn);
}

function finish({ state, step, context }: Turn): RolloutStep {
  state.updatedAt = context.now;
  if (step.events.length > 0) state.progressedAt = context.now;
  if (!isFinished(state)) step.wakeAt = Math.min(step.wakeAt ?? Infinity, progressDeadline(state));
  return step;
}

/** Queue strategy keeps batch_size instances in flight; batch strategy waits for the whole batch. */
function startNextInstances(turn: Turn): void {
  const { instances, settings } = turn.state;
  const inFlight = () => instances.filter(isInFlight).length;
  if (settings.wait_for_batch_completion && inFlight() > 0) return;
  for (const progress of instances) {
    if (inFlight() >= settings.batch_size) return;
    if (progress.status === 'pending') startInstance(progress, turn);
  }
}

function failedCount(state: RolloutState): number {
  return state.instances.filter((progress) => progress.status === 'failed').length;
}

/**
 * Too many failed instances. Rolling forward with a previous configuration to return to:
 * every instance the update touched goes back, in reverse order, and instances the
 * update added are removed. Otherwise (or when the rollback itself fails) the update
 * ends FAILED, leaving what runs in place.
 */
function failRollout({ state, step }: Turn): void {
  if (state.status === 'ROLLING_BACK' || !state.settings.rollback_on_failure || !state.previous) {
    state.status = 'FAILED';
    return;
  }
  const touched = state.instances.filter((progress) => progress.status !== 'pending');
  for (const progress of touched) {
    if (progress.status === 'starting' && progress.taskId)
      step.actions.push({ kind: 'kill', taskId: progress.taskId });
  }
  state.status = 'ROLLING_BACK';
  [state.target, state.previous] = [state.previous, state.target];
  const added = touched.filter((progress) => progress.instance >= state.previousInstances);
  state.removals = [...new Set([...state.removals, ...added.map((progress) => progress.instance)])];
  state.instances = touched
    .filter((progress) => progress.instance < state.previousInstances)
    .reverse()
    .map((progress) => ({ instance: progress.instance, status: 'pending', failures: 0 }));
}

function completeRollout({ state, tasks, step }: Turn): void {
  for (const instance of state.removals) {
    const task = activeTask(tasks, instance);
    if (task) step.actions.push({ kind: 'kill', taskId: task.taskId });
  }
  if (failedCount(state) > 0 && failedCount(state) > state.settings.max_total_failures)
    state.status = 'FAILED';
  else state.status = state.status === 'ROLLING_BACK' ? 'ROLLED_BACK' : 'ROLLED_FORWARD';
}
