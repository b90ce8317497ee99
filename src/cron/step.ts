/**
 * The cron scheduler's decisions for one job, as a pure step, like the rollout's:
 * `stepCron({job, state, tasks, now}) → {state, launches, kills, events, wakeAt}`. The
 * caller saves the new state before it launches or kills anything, so a scheduler that dies
 * at any point resumes from what it saved: a tick at or before `lastTick` never starts
 * again, and a saved task id launched twice starts once.
 *
 * In order, each step:
 * 1. reckons the ticks: a job that wakes from dormancy (new, unpaused, scheduled again) or
 *    whose schedule changed counts its ticks from when that was applied, never from before;
 * 2. follows the runs in progress through their tasks: an instance that finished is done;
 *    one that failed is relaunched until `max_task_failures`; a run whose instances all
 *    ended has its outcome;
 * 3. decides the ticks due since `lastTick`: the newest, if at most `START_GRACE_MS` old,
 *    starts a run (or is skipped, or kills the run in progress, by the collision policy);
 *    older ones are recorded as one `missed` entry and are not run late (Aurora's rule);
 * 4. answers a run-now request under the same collision policy;
 * 5. bounds the history and says when to wake next.
 */
import { isTerminal, type ObservedTask } from '../cluster/types.js';
import type { CronCollisionPolicy, JobId, JobKey } from '../jobspec/types.js';
import { firesBetween, nextFires, type CronSchedule } from './expression.js';
import {
  CRON_HISTORY_LIMIT,
  CRON_RECORD_FORMAT,
  type CronInstance,
  type CronJobState,
  type CronOutcome,
  type CronRun,
  type CronTrigger,
} from './types.js';

/**
 * How late a tick may still start: a scheduler busy for a moment, or a leader elected a few
 * seconds after the minute, still runs it. An older tick is missed.
 */
export const START_GRACE_MS = 60_000;

/** How many missed ticks are counted one by one (a year of `* * * * *` is not walked). */
const MISSED_COUNT_LIMIT = 100_000;

/** A cron job as the scheduler runs it: its applied record, read for what a run needs. */
export interface CronJob {
  id: JobId;
  key: JobKey;
  schedule: CronSchedule;
  policy: CronCollisionPolicy;
  paused: boolean;
  instances: number;
  /** -1: unlimited. */
  maxTaskFailures: number;
  configHash: string;
  commit: string;
  /** When this configuration was applied: ticks before it are not this schedule's. */
  appliedAt: number;
}

/** What a run-now request got. */
export type CronStartResult =
  { started: string } | { skipped: string } | { refused: 'not_cron' | 'paused'; detail: string };

export interface CronStepInput {
  /** The applied cron job; undefined once it is descheduled (its runs in progress finish). */
  job: CronJob | undefined;
  state: CronJobState | undefined;
  /** This job's cron-run tasks, by task id. */
  tasks: ReadonlyMap<string, ObservedTask>;
  now: number;
  /** A run-now request to answer in this step. */
  startNow?: boolean;
  newTaskId: (key: JobKey, instance: number) => string;
}

export type CronEvent =
  | { type: 'run_started'; run: CronRun }
  | { type: 'run_ended'; run: CronRun }
  | { type: 'tick_skipped'; run: CronRun }
  | { type: 'ticks_missed'; run: CronRun }
  | { type: 'instance_relaunched'; run: CronRun; instance: number; failures: number };

export interface CronStepResult {
  /** The state to save before acting; undefined when there is nothing to keep. */
  state: CronJobState | undefined;
  /** False when `state` is what was read: nothing to save. */
  changed: boolean;
  /** Instances to launch for `runId`, under the task ids saved in `state`. */
  launches: { runId: string; instance: number; taskId: string }[];
  kills: string[];
  /** Ended tasks the state no longer needs, for the cluster to forget once it is saved. */
  forget: string[];
  events: CronEvent[];
  /** The next tick, epoch ms; undefined while paused or descheduled. */
  wakeAt?: number;
  /** The answer to `startNow`. */
  started?: CronStartResult;
}

export function stepCron(input: CronStepInput): CronStepResult {
  const { job } = input;
  if (!input.state && !job) return { ...nothingToDo(), changed: false, state: undefined };
  const before = input.state ? JSON.stringify(input.state) : undefined;
  const state = reckon(input.state ? structuredClone(input.state) : initialState(job!), job);
  const turn: Turn = { input, state, ...nothingToDo() };
  followRuns(turn);
  if (job && !job.paused) decideTicks(turn, job);
  if (input.startNow) turn.started = startNow(turn);
  killStrays(turn);
  boundHistory(state);
  forgetDropped(turn);
  const wakeAt =
    job && !job.paused ? nextFires(job.schedule, Math.max(input.now, state.lastTick), 1)[0] : undefined;
  const { launches, kills, forget, events, started } = turn;
  return {
    state,
    changed: JSON.stringify(state) !== before,
    launches,
    kills,
    forget,
    events,
    ...(wakeAt === undefined ? {} : { wakeAt }),
    ...(started ? { started } : {}),
  };
}

/** One step's working set. */
interface Turn extends Pick<CronStepResult, 'launches' | 'kills' | 'forget' | 'events' | 'started'> {
  input: CronStepInput;
  state: CronJobState;
}

function nothingToDo(): Pick<CronStepResult, 'launches' | 'kills' | 'forget' | 'events'> {
  return { launches: [], kills: [], forget: [], events: [] };
}

// ---- 1. Reckoning ------------------------------------------------------------------------

function initialState(job: CronJob): CronJobState {
  return {
    format: CRON_RECORD_FORMAT,
    jobId: job.id,
    lastTick: job.appliedAt,
    schedule: job.schedule.expression,
    timezone: job.schedule.timezone,
    runs: [],
  };
}

/**
 * Ticks are counted from the newest of: the last tick decided, and when the current way of
 * counting began (a new schedule or time zone, the end of a pause, the job scheduled again).
 */
function reckon(state: CronJobState, job: CronJob | undefined): CronJobState {
  const dormant = !job || job.paused;
  if (dormant) {
    state.dormant = true;
    return state;
  }
  const changed =
    state.dormant === true ||
    state.schedule !== job.schedule.expression ||
    state.timezone !== job.schedule.timezone;
  if (changed) {
    state.lastTick = Math.max(state.lastTick, job.appliedAt);
    state.schedule = job.schedule.expression;
    state.timezone = job.schedule.timezone;
    delete state.dormant;
  }
  return state;
}

// ---- 2. Runs in progress -----------------------------------------------------------------

function followRuns(turn: Turn): void {
  for (const run of turn.state.runs) {
    if (run.outcome !== 'running') continue;
    for (const instance of run.instances) followInstance(turn, run, instance);
    if (run.instances.every((instance) => instance.ended)) endRun(turn, run, outcomeOf(run.instances));
  }
}

function followInstance(turn: Turn, run: CronRun, instance: CronInstance): void {
  if (instance.ended) return;
  const { tasks } = turn.input;
  const task = tasks.get(instance.taskId);
  if (!task) {
    // Saved but never seen: the scheduler died between saving and launching. Launching a
    // saved id again starts it at most once; a configuration replaced since cannot be.
    if (turn.input.job?.configHash !== run.configHash) {
      instance.ended = 'FAILED';
      return;
    }
    turn.launches.push({ runId: run.id, instance: instance.instance, taskId: instance.taskId });
    return;
  }
  if (!isTerminal(task.state)) return;
  if (task.state === 'FINISHED') instance.ended = 'FINISHED';
  else if (task.state === 'KILLED' && task.killRequested) instance.ended = 'KILLED';
  else retryOrFail(turn, run, instance);
}

/** A failed attempt: relaunched under a new id while the job allows more failures. */
function retryOrFail(turn: Turn, run: CronRun, instance: CronInstance): void {
  instance.failures++;
  const job = turn.input.job;
  const limit = job?.maxTaskFailures ?? 0;
  // A descheduled job's configuration is gone with its record: nothing to relaunch with.
  if (!job || job.configHash !== run.configHash || (limit !== -1 && instance.failures >= limit)) {
    instance.ended = 'FAILED';
    return;
  }
  instance.taskId = turn.input.newTaskId(job.key, instance.instance);
  turn.launches.push({ runId: run.id, instance: instance.instance, taskId: instance.taskId });
  turn.events.push({
    type: 'instance_relaunched',
    run,
    instance: instance.instance,
    failures: instance.failures,
  });
}

function outcomeOf(instances: readonly CronInstance[]): CronOutcome {
  if (instances.some((instance) => instance.ended === 'FAILED')) return 'failed';
  if (instances.some((instance) => instance.ended === 'KILLED')) return 'killed';
  return 'succeeded';
}

function endRun(turn: Turn, run: CronRun, outcome: CronOutcome, detail?: string): void {
  run.outcome = outcome;
  run.endedAt = turn.input.now;
  if (detail) run.detail = detail;
  else if (outcome === 'failed') run.detail = failureDetail(run);
  turn.events.push({ type: 'run_ended', run });
}

function failureDetail(run: CronRun): string {
  const failed = run.instances.filter((instance) => instance.ended === 'FAILED');
  const which = failed.map(
    (instance) => `${instance.instance} (${instance.failures} failure${instance.failures === 1 ? '' : 's'})`,
  );
  return `instance${failed.length === 1 ? '' : 's'} ${which.join(', ')} failed`;
}

// ---- 3. Ticks ----------------------------------------------------------------------------

function decideTicks(turn: Turn, job: CronJob): void {
  const { state } = turn;
  const { now } = turn.input;
  const due = firesBetween(job.schedule, state.lastTick, now, MISSED_COUNT_LIMIT);
  if (due.count === 0 || due.latest === undefined) return;
  const startable = now - due.latest <= START_GRACE_MS;
  const missedCount = startable ? due.count - 1 : due.count;
  if (missedCount > 0) {
    // The newest missed tick is the one before the tick that starts now, when one does.
    const newest = startable
      ? firesBetween(job.schedule, state.lastTick, due.latest - 1, MISSED_COUNT_LIMIT).latest!
      : due.latest;
    recordMissed(turn, { first: due.first!, latest: newest, count: missedCount }, due.capped);
  }
  if (startable) collideAndStart(turn, job, 'schedule', due.latest);
  state.lastTick = due.latest;
}

function recordMissed(
  turn: Turn,
  missed: { first: number; latest: number; count: number },
  capped: boolean,
): void {
  const { first, latest, count } = missed;
  const run: CronRun = {
    id: runId('missed', first, turn.state.runs),
    trigger: 'schedule',
    scheduledAt: first,
    outcome: 'missed',
    instances: [],
    missed: { count, latest },
    detail: `${capped ? 'more than ' : ''}${count} tick${count === 1 ? '' : 's'} passed with no scheduler running; not run late`,
  };
  turn.state.runs.push(run);
  turn.events.push({ type: 'ticks_missed', run });
}

/** Starts a run under the collision policy; returns what happened. */
function collideAndStart(turn: Turn, job: CronJob, trigger: CronTrigger, at: number): CronStartResult {
  const going = turn.state.runs.find((run) => run.outcome === 'running');
  if (going && job.policy === 'CANCEL_NEW') {
    const detail = `run ${going.id} was still running (CANCEL_NEW)`;
    const skipped: CronRun = {
      id: runId(trigger === 'schedule' ? 'skipped' : 'manual-skipped', at, turn.state.runs),
      trigger,
      scheduledAt: at,
      outcome: 'skipped',
      instances: [],
      detail,
    };
    turn.state.runs.push(skipped);
    turn.events.push({ type: 'tick_skipped', run: skipped });
    return { skipped: detail };
  }
  const run = newRun(turn, job, trigger, at);
  if (going) killRun(turn, going, `killed by run ${run.id} (KILL_EXISTING)`);
  turn.state.runs.push(run);
  for (const instance of run.instances) {
    turn.launches.push({ runId: run.id, instance: instance.instance, taskId: instance.taskId });
  }
  turn.events.push({ type: 'run_started', run });
  return { started: run.id };
}

function newRun(turn: Turn, job: CronJob, trigger: CronTrigger, at: number): CronRun {
  const instances = Array.from({ length: job.instances }, (_, instance) => ({
    instance,
    taskId: turn.input.newTaskId(job.key, instance),
    failures: 0,
  }));
  return {
    id: runId(trigger, at, turn.state.runs),
    trigger,
    scheduledAt: at,
    startedAt: turn.input.now,
    outcome: 'running',
    configHash: job.configHash,
    commit: job.commit,
    instances,
  };
}

function killRun(turn: Turn, run: CronRun, detail: string): void {
  for (const instance of run.instances) {
    if (instance.ended) continue;
    const task = turn.input.tasks.get(instance.taskId);
    if (!task || !isTerminal(task.state)) turn.kills.push(instance.taskId);
    instance.ended = 'KILLED';
  }
  endRun(turn, run, 'killed', detail);
}

// ---- 4. Run now ----------------------------------------------------------------------------

function startNow(turn: Turn): CronStartResult {
  const { job, now } = turn.input;
  if (!job) return { refused: 'not_cron', detail: 'no cron job of that name is applied' };
  if (job.paused) {
    return {
      refused: 'paused',
      detail: 'the job is paused in Git (cron_paused: true); unpause it there to run it',
    };
  }
  return collideAndStart(turn, job, 'manual', now);
}

// ---- 5. Strays and history ---------------------------------------------------------------

/**
 * Live tasks of runs that are over (a kill that did not arrive, a run ended while a retry
 * was starting): the run is decided, so they are killed again, on every pass until the
 * cluster says it is killing them. A kill asked for is not a kill done: one sent while the
 * Mesos driver was between masters never arrives.
 */
function killStrays(turn: Turn): void {
  const current = new Set<string>();
  const ended = new Set<string>();
  for (const run of turn.state.runs) {
    if (run.outcome === 'running') for (const instance of run.instances) current.add(instance.taskId);
    else ended.add(run.id);
  }
  for (const task of turn.input.tasks.values()) {
    if (isTerminal(task.state) || current.has(task.taskId) || turn.kills.includes(task.taskId)) continue;
    if (task.cronRun !== undefined && ended.has(task.cronRun) && task.state !== 'KILLING')
      turn.kills.push(task.taskId);
  }
}

/**
 * Ended tasks of runs no longer in the history: the runs kept keep their tasks, so their
 * logs can still be read (`borealis logs`).
 */
function forgetDropped(turn: Turn): void {
  const kept = new Set(turn.state.runs.map((run) => run.id));
  for (const task of turn.input.tasks.values()) {
    if (isTerminal(task.state) && task.cronRun !== undefined && !kept.has(task.cronRun))
      turn.forget.push(task.taskId);
  }
}

/** Keeps the newest `CRON_HISTORY_LIMIT` entries, never dropping a run in progress. */
function boundHistory(state: CronJobState): void {
  let excess = state.runs.length - CRON_HISTORY_LIMIT;
  state.runs = state.runs.filter((run) => {
    if (excess <= 0 || run.outcome === 'running') return true;
    excess--;
    return false;
  });
}

/** `schedule-20261208T0300Z`; a suffix when the id is taken (two manual runs in a minute). */
function runId(kind: string, at: number, runs: readonly CronRun[]): string {
  const stamp = new Date(at)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  const base = `${kind}-${stamp}`;
  const taken = new Set(runs.map((run) => run.id));
  if (!taken.has(base)) return base;
  let suffix = 2;
  while (taken.has(`${base}-${suffix}`)) suffix++;
  return `${base}-${suffix}`;
}
