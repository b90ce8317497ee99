/**
 * How one instance moves through a rollout, as a table: from each `InstanceStep`, on what
 * the cluster shows of the instance's tasks, to which step, with which action on the
 * cluster and which event. `stepRollout` observes each instance and applies its row; what
 * concerns the whole rollout (batches, failure budget, deadline, rollback) is decided there.
 */
import { isInvalidTask, isTerminal, type ObservedTask } from '../cluster/types.js';
import type {
  InstanceProgress,
  InstanceStep,
  RolloutEvent,
  RolloutState,
  RolloutStep,
  StepContext,
} from './rollout-types.js';

/**
 * A task lost with its agent (or dropped with a rescinded offer) says nothing about the
 * configuration, so rolling back would punish a good update for a machine's failure: the
 * instance is relaunched at once instead. Past this many losses of one instance in one
 * rollout, a loss counts as an ordinary failure, so a task that keeps vanishing still ends
 * the update.
 */
export const LOST_RELAUNCHES = 3;

/** One call of `stepRollout`: the state it changes, the tasks it reads, the step it returns. */
export interface Turn {
  readonly state: RolloutState;
  readonly tasks: readonly ObservedTask[];
  readonly byId: ReadonlyMap<string, ObservedTask>;
  readonly context: StepContext;
  readonly step: RolloutStep;
}

/** What the cluster shows of one instance, in the words of the table. */
export type Observation =
  // A pending instance whose turn in the batch has come, by the live task it has:
  | 'runs-target'
  | 'runs-other'
  | 'runs-nothing'
  // A stopping instance, by the task being replaced:
  | 'old-alive'
  | 'old-ended'
  // A starting (or done) instance, by its task of the target configuration:
  | 'unseen' // saved but never launched: the reconciler stopped in between
  | 'coming-up' // not running yet, or not healthy
  | 'watched' // running and healthy, its watch period not over
  | 'confirmed' // running and healthy for watch_secs
  | 'finished' // ended successfully, and the job is a batch job
  | 'lost' // lost with its agent, relaunches left
  | 'ended' // failed, killed or lost, retries left
  | 'ended-for-good' // no retries left, or refused by the cluster as invalid
  // Any instance in flight when the rollout passed its progress deadline:
  | 'stalled';

interface Observed {
  observation: Observation;
  /** The live task a pending instance has (`runs-target`, `runs-other`). */
  task?: ObservedTask;
  /** For the event, e.g. `FAILED: exit 1`. */
  detail?: string;
  /** When a watch period ends (`watched`). */
  wakeAt?: number;
}

type Effect =
  | 'adopt' // take the live task, already on the target, as the instance's own
  | 'kill-old' // kill the live task and remember it as the one being replaced
  | 'launch' // launch the target under a new task id
  | 'launch-again'; // launch the saved task id again: harmless if the first launch landed

/** Which event a transition reports, in the direction the rollout is going. */
type Milestone = 'begun' | 'done' | 'failed' | 'relaunched';

interface Transition {
  to: InstanceStep;
  effect?: Effect;
  event?: Milestone;
  /** The count the transition adds one to. */
  counts?: 'failures' | 'lost';
  /** Look again when the watch period ends. */
  wake?: true;
}

/** An observation with no row leaves the instance where it is, and does nothing. */
export const TRANSITIONS: {
  readonly [S in InstanceStep]: Readonly<Partial<Record<Observation, Transition>>>;
} = {
  pending: {
    'runs-target': { to: 'starting', event: 'begun', effect: 'adopt' },
    'runs-other': { to: 'stopping', event: 'begun', effect: 'kill-old' },
    'runs-nothing': { to: 'starting', event: 'begun', effect: 'launch' },
  },
  stopping: {
    'old-alive': { to: 'stopping' },
    'old-ended': { to: 'starting', effect: 'launch' },
    stalled: { to: 'failed', event: 'failed' },
  },
  starting: {
    unseen: { to: 'starting', effect: 'launch-again' },
    'coming-up': { to: 'starting' },
    watched: { to: 'starting', wake: true },
    confirmed: { to: 'done', event: 'done' },
    finished: { to: 'done', event: 'done' },
    lost: { to: 'starting', counts: 'lost', event: 'relaunched', effect: 'launch' },
    ended: { to: 'starting', counts: 'failures', effect: 'launch' },
    'ended-for-good': { to: 'failed', counts: 'failures', event: 'failed' },
    stalled: { to: 'failed', event: 'failed' },
  },
  done: {
    lost: { to: 'starting', counts: 'lost', event: 'relaunched', effect: 'launch' },
  },
  failed: {},
};

const EVENTS: Record<'forward' | 'back', Record<Milestone, RolloutEvent>> = {
  forward: {
    begun: 'INSTANCE_UPDATING',
    done: 'INSTANCE_UPDATED',
    failed: 'INSTANCE_UPDATE_FAILED',
    relaunched: 'INSTANCE_RELAUNCHED',
  },
  back: {
    begun: 'INSTANCE_ROLLING_BACK',
    done: 'INSTANCE_ROLLED_BACK',
    failed: 'INSTANCE_ROLLBACK_FAILED',
    relaunched: 'INSTANCE_RELAUNCHED',
  },
};

/** Moves an instance along on what its tasks show; pending and failed instances wait. */
export function advanceInstance(progress: InstanceProgress, turn: Turn): void {
  if (progress.status === 'stopping') move(progress, observeOldTask(progress, turn), turn);
  else if (progress.status === 'starting' || progress.status === 'done')
    move(progress, observeTargetTask(progress, turn), turn);
}

/** Starts a pending instance whose turn in the batch has come. */
export function startInstance(progress: InstanceProgress, turn: Turn): void {
  const task = activeTask(turn.tasks, progress.instance);
  if (!task) return move(progress, { observation: 'runs-nothing' }, turn);
  // A task being killed (a rollback reaching an instance the update was stopping) is never
  // adopted: its end would count as the instance failing. It is waited for like an old task.
  const adoptable = task.configHash === turn.state.target.configHash && !task.killRequested;
  const observation = adoptable ? 'runs-target' : 'runs-other';
  move(progress, { observation, task }, turn);
}

/** Fails an instance in flight when the rollout moved nothing along for its progress deadline. */
export function stallInstance(progress: InstanceProgress, detail: string, turn: Turn): void {
  move(progress, { observation: 'stalled', detail }, turn);
}

/** The instance's newest task that has not ended. */
export function activeTask(tasks: readonly ObservedTask[], instance: number): ObservedTask | undefined {
  return tasks
    .filter((task) => task.instance === instance && !isTerminal(task.state))
    .sort((a, b) => b.launchedAt - a.launchedAt)[0];
}

function observeOldTask(progress: InstanceProgress, { byId }: Turn): Observed {
  const old = progress.oldTaskId ? byId.get(progress.oldTaskId) : undefined;
  return { observation: old && !isTerminal(old.state) ? 'old-alive' : 'old-ended' };
}

function observeTargetTask(progress: InstanceProgress, { state, byId, context }: Turn): Observed {
  const task = progress.taskId ? byId.get(progress.taskId) : undefined;
  if (!task) return { observation: 'unseen' };
  if (isTerminal(task.state)) return observeEnd(progress, task, state);
  if (task.state !== 'RUNNING' || task.healthy === false) return { observation: 'coming-up' };
  const watchedUntil = task.updatedAt + state.settings.watch_secs * 1000;
  if (context.now >= watchedUntil) return { observation: 'confirmed' };
  return { observation: 'watched', wakeAt: watchedUntil };
}

function observeEnd(progress: InstanceProgress, task: ObservedTask, state: RolloutState): Observed {
  if (task.state === 'FINISHED' && state.finishIsSuccess) return { observation: 'finished' };
  const why = task.message ? `: ${task.message}` : '';
  if (task.state === 'LOST' && (progress.lost ?? 0) < LOST_RELAUNCHES)
    return { observation: 'lost', detail: `task lost${why}` };
  // A task the cluster refused as invalid fails the same way every time: no retry.
  const forGood = isInvalidTask(task) || progress.failures + 1 > state.settings.max_per_shard_failures;
  return { observation: forGood ? 'ended-for-good' : 'ended', detail: `${task.state}${why}` };
}

function move(progress: InstanceProgress, observed: Observed, turn: Turn): void {
  const transition = TRANSITIONS[progress.status][observed.observation];
  if (!transition) return;
  if (transition.counts) progress[transition.counts] = (progress[transition.counts] ?? 0) + 1;
  progress.status = transition.to;
  if (transition.event) report(progress, transition.event, observed.detail, turn);
  if (transition.effect) EFFECTS[transition.effect](progress, observed, turn);
  if (transition.wake && observed.wakeAt !== undefined)
    turn.step.wakeAt = Math.min(turn.step.wakeAt ?? Infinity, observed.wakeAt);
}

function report(progress: InstanceProgress, milestone: Milestone, detail: string | undefined, turn: Turn) {
  const event = EVENTS[turn.state.status === 'ROLLING_BACK' ? 'back' : 'forward'][milestone];
  const { instance } = progress;
  turn.step.events.push(detail === undefined ? { instance, event } : { instance, event, detail });
}

/** `task` is set for the observations whose rows adopt or kill (`runs-target`, `runs-other`). */
const EFFECTS: Record<Effect, (progress: InstanceProgress, observed: Observed, turn: Turn) => void> = {
  adopt: (progress, { task }) => {
    progress.taskId = task!.taskId;
  },
  'kill-old': (progress, { task }, { step }) => {
    progress.oldTaskId = task!.taskId;
    step.actions.push({ kind: 'kill', taskId: task!.taskId });
  },
  launch: (progress, _observed, turn) => {
    progress.taskId = turn.context.newTaskId(progress.instance);
    launchTarget(progress, turn);
  },
  'launch-again': (progress, _observed, turn) => launchTarget(progress, turn),
};

function launchTarget(progress: InstanceProgress, { state, step }: Turn): void {
  step.actions.push({
    kind: 'launch',
    instance: progress.instance,
    taskId: progress.taskId!,
    version: state.target,
  });
}
