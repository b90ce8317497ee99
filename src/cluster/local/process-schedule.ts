/**
 * Thermos's process scheduling, as pure functions of (config, process runs, time). The
 * supervisor only carries out what these decide, so every rule here is testable with tables.
 */
import type { OrderConstraint, ProcessConfig } from '../../jobspec/types.js';

export type ProcessPhase = 'WAITING' | 'RUNNING' | 'SUCCESS' | 'FAILED' | 'KILLED';

export interface ProcessRun {
  phase: ProcessPhase;
  runs: number;
  failures: number;
  /** Epoch ms of the latest start; restarts are gated on it by `min_duration`. */
  lastStartAt?: number;
  pid?: number;
  exitCode?: number;
}

export type Runs = Record<string, ProcessRun>;

/** One schedulable set: the regular processes, or the final ones. */
export interface ProcessSchedule {
  processes: ProcessConfig[];
  /** Process name → processes that must have succeeded before it may start. */
  after: Record<string, string[]>;
}

/**
 * Order constraints only bind processes within the same plan: regular and final processes
 * never wait for each other (Thermos rejects such orders; the spec loader should too).
 */
export function buildSchedule(processes: ProcessConfig[], constraints: OrderConstraint[]): ProcessSchedule {
  const names = new Set(processes.map((process) => process.name));
  const after: Record<string, string[]> = {};
  for (const name of names) after[name] = [];
  for (const { order } of constraints) {
    for (let i = 1; i < order.length; i += 1) {
      const before = order[i - 1];
      const current = order[i];
      if (before === undefined || current === undefined) continue;
      if (!names.has(before) || !names.has(current)) continue;
      const list = after[current];
      if (list !== undefined && !list.includes(before)) list.push(before);
    }
  }
  return { processes, after };
}

export function initialRuns(plan: ProcessSchedule): Runs {
  const runs: Runs = {};
  for (const process of plan.processes) runs[process.name] = { phase: 'WAITING', runs: 0, failures: 0 };
  return runs;
}

function phaseOf(runs: Runs, name: string): ProcessPhase | undefined {
  return runs[name]?.phase;
}

function orderSatisfied(plan: ProcessSchedule, runs: Runs, name: string): boolean {
  return (plan.after[name] ?? []).every((before) => phaseOf(runs, before) === 'SUCCESS');
}

/** The earliest time the process may (re)start: `min_duration` after its previous start. */
export function earliestStart(process: ProcessConfig, run: ProcessRun): number {
  if (run.lastStartAt === undefined) return Number.NEGATIVE_INFINITY;
  return run.lastStartAt + process.min_duration * 1000;
}

/** Processes that may start once their `min_duration` gate opens. */
function startable(plan: ProcessSchedule, runs: Runs): ProcessConfig[] {
  return plan.processes.filter(
    (process) => phaseOf(runs, process.name) === 'WAITING' && orderSatisfied(plan, runs, process.name),
  );
}

function runningCount(runs: Runs): number {
  return Object.values(runs).filter((run) => run.phase === 'RUNNING').length;
}

export interface StartDecision {
  /** Names to start now, in declaration order. */
  start: string[];
  /** When a gated restart becomes possible; undefined when nothing is gated. */
  wakeAt?: number;
}

export function decideStarts(
  plan: ProcessSchedule,
  runs: Runs,
  maxConcurrency: number,
  now: number,
): StartDecision {
  const candidates = startable(plan, runs);
  const ready: string[] = [];
  let wakeAt: number | undefined;
  for (const process of candidates) {
    const at = earliestStart(process, runs[process.name] ?? { phase: 'WAITING', runs: 0, failures: 0 });
    if (at <= now) ready.push(process.name);
    else wakeAt = wakeAt === undefined ? at : Math.min(wakeAt, at);
  }
  const slots = maxConcurrency === 0 ? ready.length : Math.max(0, maxConcurrency - runningCount(runs));
  return { start: ready.slice(0, slots), ...(wakeAt === undefined ? {} : { wakeAt }) };
}

export function runAfterStart(run: ProcessRun, pid: number | undefined, now: number): ProcessRun {
  return { phase: 'RUNNING', runs: run.runs + 1, failures: run.failures, lastStartAt: now, pid };
}

/**
 * Thermos's restart policy: a failure is retried until `max_failures` failures (0 = forever);
 * a daemon is rerun even after success; an ephemeral process that exhausts its failures counts
 * as finished, since the task never waits on it.
 */
export function runAfterExit(process: ProcessConfig, run: ProcessRun, exitCode: number): ProcessRun {
  const base = { runs: run.runs, lastStartAt: run.lastStartAt, exitCode };
  if (exitCode === 0) {
    return { ...base, failures: run.failures, phase: process.daemon ? 'WAITING' : 'SUCCESS' };
  }
  const failures = run.failures + 1;
  if (process.max_failures === 0 || failures < process.max_failures) {
    return { ...base, failures, phase: 'WAITING' };
  }
  return { ...base, failures, phase: process.ephemeral ? 'SUCCESS' : 'FAILED' };
}

/** A process stopped by the supervisor: neither a success nor a failure. */
export function runAfterKill(run: ProcessRun, exitCode: number): ProcessRun {
  return { phase: 'KILLED', runs: run.runs, failures: run.failures, lastStartAt: run.lastStartAt, exitCode };
}

export type ScheduleState = 'active' | 'complete' | 'deadlocked';

/**
 * Complete when every non-ephemeral process has succeeded or failed for good. Deadlocked when
 * it is not complete yet nothing runs and nothing can ever start (e.g. a process ordered after
 * one that failed): Thermos treats that as a failed task.
 */
export function scheduleState(plan: ProcessSchedule, runs: Runs): ScheduleState {
  const done = plan.processes.every((process) => {
    const phase = phaseOf(runs, process.name);
    return process.ephemeral || phase === 'SUCCESS' || phase === 'FAILED';
  });
  if (done) return 'complete';
  if (runningCount(runs) > 0 || startable(plan, runs).length > 0) return 'active';
  return 'deadlocked';
}

export function failedProcesses(runs: Runs): string[] {
  return Object.entries(runs)
    .filter(([, run]) => run.phase === 'FAILED')
    .map(([name]) => name);
}

export type TaskVerdict =
  { kind: 'continue' } | { kind: 'finished' } | { kind: 'failed'; failed: string[]; deadlocked: boolean };

/** `task.max_failures` failed processes fail the task (0 = never); so does a deadlock. */
export function regularVerdict(plan: ProcessSchedule, runs: Runs, taskMaxFailures: number): TaskVerdict {
  const failed = failedProcesses(runs);
  const overLimit = taskMaxFailures > 0 && failed.length >= taskMaxFailures;
  const state = scheduleState(plan, runs);
  if (overLimit) return { kind: 'failed', failed, deadlocked: false };
  if (state === 'complete') return { kind: 'finished' };
  if (state === 'deadlocked') return { kind: 'failed', failed, deadlocked: true };
  return { kind: 'continue' };
}
