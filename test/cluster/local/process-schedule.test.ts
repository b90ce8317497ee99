/** Thermos scheduling rules, table by table. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  buildSchedule,
  decideStarts,
  initialRuns,
  scheduleState,
  regularVerdict,
  runAfterExit,
  type ScheduleState,
  type ProcessPhase,
  type ProcessRun,
  type Runs,
} from '../../../src/cluster/local/process-schedule.js';
import type { ProcessConfig } from '../../../src/jobspec/types.js';
import { processConfig } from '../../support/launch-builder.js';

const p = (name: string, overrides: Partial<ProcessConfig> = {}): ProcessConfig =>
  processConfig(name, 'x', overrides);
const W: ProcessRun = { phase: 'WAITING', runs: 0, failures: 0 };
const R: ProcessRun = { phase: 'RUNNING', runs: 1, failures: 0 };
const S: ProcessRun = { phase: 'SUCCESS', runs: 1, failures: 0, exitCode: 0 };
const F: ProcessRun = { phase: 'FAILED', runs: 1, failures: 1, exitCode: 1 };
/** Waiting to be restarted, last started at `at`. */
const restart = (at: number): ProcessRun => ({ phase: 'WAITING', runs: 1, failures: 1, lastStartAt: at });

const plan = (processes: ProcessConfig[], orders: string[][] = []) =>
  buildSchedule(
    processes,
    orders.map((order) => ({ order })),
  );

describe('runAfterExit (restart policy)', () => {
  // [case, process overrides, failures before, exit code, resulting phase, resulting failures]
  const cases: [string, Partial<ProcessConfig>, number, number, ProcessPhase, number][] = [
    ['success ends a regular process', {}, 0, 0, 'SUCCESS', 0],
    ['a daemon is rerun after success', { daemon: true }, 0, 0, 'WAITING', 0],
    ['max_failures 1: the first failure is final', { max_failures: 1 }, 0, 1, 'FAILED', 1],
    ['max_failures 3: the first failure restarts', { max_failures: 3 }, 0, 1, 'WAITING', 1],
    ['max_failures 3: the second failure restarts', { max_failures: 3 }, 1, 1, 'WAITING', 2],
    ['max_failures 3: the third failure is final', { max_failures: 3 }, 2, 1, 'FAILED', 3],
    ['max_failures 0 retries forever', { max_failures: 0 }, 99, 1, 'WAITING', 100],
    ['a daemon still obeys max_failures', { daemon: true, max_failures: 2 }, 1, 1, 'FAILED', 2],
    ['an exhausted ephemeral counts as finished', { ephemeral: true }, 0, 1, 'SUCCESS', 1],
    ['death by signal is a failure', {}, 0, 137, 'FAILED', 1],
  ];
  for (const [name, overrides, failuresBefore, exitCode, phase, failures] of cases) {
    it(name, () => {
      const after = runAfterExit(
        p('p', overrides),
        { ...R, failures: failuresBefore, lastStartAt: 5 },
        exitCode,
      );
      assert.deepEqual(after, { phase, failures, exitCode, runs: 1, lastStartAt: 5 });
    });
  }
});

describe('decideStarts', () => {
  const [a, b, c] = [p('a'), p('b'), p('c')];
  const slow = p('slow', { min_duration: 5 });
  // [case, processes, orders, runs, max_concurrency, now, expected starts, expected wake-up]
  const cases: [string, ProcessConfig[], string[][], Runs, number, number, string[], number?][] = [
    ['without constraints all start at once', [a, b, c], [], { a: W, b: W, c: W }, 0, 0, ['a', 'b', 'c']],
    [
      'an order holds back its later members',
      [a, b, c],
      [['a', 'b', 'c']],
      { a: W, b: W, c: W },
      0,
      0,
      ['a'],
    ],
    [
      'the next in order starts after success',
      [a, b, c],
      [['a', 'b', 'c']],
      { a: S, b: W, c: W },
      0,
      0,
      ['b'],
    ],
    ['a running predecessor is not enough', [a, b], [['a', 'b']], { a: R, b: W }, 0, 0, []],
    ['a failed predecessor blocks for good', [a, b], [['a', 'b']], { a: F, b: W }, 0, 0, []],
    [
      'several orders combine',
      [a, b, c],
      [
        ['a', 'c'],
        ['b', 'c'],
      ],
      { a: S, b: R, c: W },
      0,
      0,
      [],
    ],
    ['max_concurrency caps new starts', [a, b, c], [], { a: W, b: W, c: W }, 2, 0, ['a', 'b']],
    ['max_concurrency counts running processes', [a, b, c], [], { a: R, b: W, c: W }, 2, 0, ['b']],
    ['a full concurrency budget starts nothing', [a, b], [], { a: R, b: W }, 1, 0, []],
    [
      'a restart waits min_duration after the last start',
      [slow],
      [],
      { slow: restart(1000) },
      0,
      3000,
      [],
      6000,
    ],
    ['a restart goes once min_duration has passed', [slow], [], { slow: restart(1000) }, 0, 6000, ['slow']],
    ['min_duration does not delay the first start', [slow], [], { slow: W }, 0, 0, ['slow']],
    ['min_duration 0 restarts at once', [a], [], { a: restart(1000) }, 0, 1000, ['a']],
  ];
  for (const [name, processes, orders, runs, maxConcurrency, now, start, wakeAt] of cases) {
    it(name, () => {
      const decision = decideStarts(plan(processes, orders), runs, maxConcurrency, now);
      assert.deepEqual(decision, wakeAt === undefined ? { start } : { start, wakeAt });
    });
  }
});

describe('buildSchedule', () => {
  it('ignores order constraints across regular and final processes', () => {
    assert.deepEqual(plan([p('a'), p('b')], [['a', 'final', 'b']]).after, { a: [], b: [] });
  });

  it('starts every process WAITING with no runs', () => {
    assert.deepEqual(initialRuns(plan([p('a')])), { a: W });
  });
});

describe('scheduleState and regularVerdict', () => {
  const [a, b] = [p('a'), p('b')];
  const eph = p('eph', { ephemeral: true });
  const daemon = p('d', { daemon: true });
  type Verdict = ReturnType<typeof regularVerdict>['kind'];
  // [case, processes, orders, runs, task max_failures, plan state, task verdict]
  const cases: [string, ProcessConfig[], string[][], Runs, number, ScheduleState, Verdict][] = [
    ['running work continues', [a, b], [], { a: S, b: R }, 1, 'active', 'continue'],
    ['all succeeded is finished', [a, b], [], { a: S, b: S }, 1, 'complete', 'finished'],
    ['a running ephemeral does not hold the task', [a, eph], [], { a: S, eph: R }, 1, 'complete', 'finished'],
    ['one failure fails a task with max_failures 1', [a, b], [], { a: F, b: R }, 1, 'active', 'failed'],
    ['one failure is tolerated under max_failures 2', [a, b], [], { a: F, b: R }, 2, 'active', 'continue'],
    ['a tolerated failure still lets the task finish', [a, b], [], { a: F, b: S }, 2, 'complete', 'finished'],
    ['two failed processes reach max_failures 2', [a, b], [], { a: F, b: F }, 2, 'complete', 'failed'],
    ['max_failures 0 never fails the task', [a, b], [], { a: F, b: F }, 0, 'complete', 'finished'],
    [
      'a process blocked by a failure deadlocks',
      [a, b],
      [['a', 'b']],
      { a: F, b: W },
      2,
      'deadlocked',
      'failed',
    ],
    ['a restart waiting on min_duration is not stuck', [a], [], { a: restart(0) }, 1, 'active', 'continue'],
    ['a daemon keeps the task active', [daemon], [], { d: restart(0) }, 1, 'active', 'continue'],
    ['an empty plan is complete', [], [], {}, 1, 'complete', 'finished'],
  ];
  for (const [name, processes, orders, runs, maxFailures, state, verdict] of cases) {
    it(name, () => {
      assert.equal(scheduleState(plan(processes, orders), runs), state);
      assert.equal(regularVerdict(plan(processes, orders), runs, maxFailures).kind, verdict);
    });
  }
});
