/**
 * The progress deadline and the yield to a newer commit, as decisions of the pure rollout
 * state machine: time is an input, so each case states the instant it looks at.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ObservedTask, TaskState } from '../../src/cluster/types.js';
import { newRollout } from '../../src/deploy/new-rollout.js';
import { canYield, progressDeadline, stepRollout, type RolloutState } from '../../src/deploy/rollout.js';
import type { JobSpec } from '../../src/jobspec/types.js';
import { changeBetween, recorded, running, spec, task } from '../support/specs.js';

const SECOND = 1000;
const STARTED = 1_000_000;

function version(cmdline: string, update: Record<string, unknown>): JobSpec {
  return spec({
    name: 'web',
    instances: 2,
    service: true,
    update_config: { batch_size: 1, watch_secs: 10, ...update },
    task: { processes: [{ name: 'main', cmdline }], resources: { cpu: 0.1, ram: '16MiB', disk: '16MiB' } },
  });
}

interface InFlight {
  state: RolloutState;
  tasks: ObservedTask[];
  job: JobSpec;
}

/**
 * Instance 0 of a two-instance job is being updated: its old task ended and its new task
 * was launched at STARTED, and is now in `newState` (healthy or not).
 */
function inFlight(update: Record<string, unknown>, newState: TaskState, healthy?: boolean): InFlight {
  const from = version('sleep 1000', update);
  const to = version('sleep 2000', update);
  const observed = running(from);
  let state = newRollout(changeBetween(from, to, observed), to, recorded(from), 'c1', STARTED);
  state = stepRollout(state, observed, { now: STARTED, newTaskId: () => 'unused' }).state;
  const ended = observed.map((t) => (t.instance === 0 ? { ...t, state: 'KILLED' as const } : t));
  state = stepRollout(state, ended, { now: STARTED, newTaskId: () => 'new-0' }).state;
  const launched = task(to, 0, { taskId: 'new-0', state: newState, updatedAt: STARTED, healthy });
  return { state, tasks: [...ended, launched], job: to };
}

describe('progress deadline', () => {
  const cases: {
    name: string;
    update: Record<string, unknown>;
    newState: TaskState;
    healthy?: boolean;
    afterSecs: number;
    status: RolloutState['status'];
    events: string[];
  }[] = [
    {
      name: 'a task that never runs, before the default (watch_secs + 600 s)',
      update: { watch_secs: 30 },
      newState: 'STARTING',
      afterSecs: 629.999,
      status: 'ROLLING_FORWARD',
      events: [],
    },
    {
      name: 'a task that never runs, at the default (watch_secs + 600 s): rolled back',
      update: { watch_secs: 30 },
      newState: 'STARTING',
      afterSecs: 630,
      status: 'ROLLING_BACK',
      events: ['INSTANCE_UPDATE_FAILED:0', 'INSTANCE_ROLLING_BACK:0'],
    },
    {
      name: 'health that never passes, past an explicit deadline, no rollback: failed',
      update: { progress_deadline_secs: 30, rollback_on_failure: false },
      newState: 'RUNNING',
      healthy: false,
      afterSecs: 30,
      status: 'FAILED',
      events: ['INSTANCE_UPDATE_FAILED:0'],
    },
    {
      name: 'a failure budget does not keep a stalled rollout open',
      update: { progress_deadline_secs: 30, max_total_failures: 1, rollback_on_failure: false },
      newState: 'STARTING',
      afterSecs: 31,
      status: 'FAILED',
      events: ['INSTANCE_UPDATE_FAILED:0'],
    },
    {
      name: 'an instance confirmed at the deadline is progress, not a failure',
      update: { progress_deadline_secs: 30, watch_secs: 0 },
      newState: 'RUNNING',
      healthy: true,
      afterSecs: 30,
      status: 'ROLLING_FORWARD',
      events: ['INSTANCE_UPDATED:0', 'INSTANCE_UPDATING:1'],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const { state, tasks } = inFlight(c.update, c.newState, c.healthy);
      const step = stepRollout(state, tasks, {
        now: STARTED + c.afterSecs * SECOND,
        newTaskId: () => 'next',
      });
      assert.equal(step.state.status, c.status);
      assert.deepEqual(
        step.events.map((e) => `${e.event}:${e.instance}`),
        c.events,
      );
      const failed = step.events.find((e) => e.event === 'INSTANCE_UPDATE_FAILED');
      if (failed)
        assert.match(failed.detail ?? '', /no progress for \d+ s \(update_config.progress_deadline_secs\)/);
    });
  }

  it('asks to be woken at its deadline while nothing moves', () => {
    const { state, tasks } = inFlight({ progress_deadline_secs: 30, watch_secs: 20 }, 'STARTING');
    const step = stepRollout(state, tasks, { now: STARTED + 5 * SECOND, newTaskId: () => 'next' });
    assert.equal(step.wakeAt, STARTED + 30 * SECOND);
  });

  it('a rollback that stalls too fails, by a deadline of its own', () => {
    const { state, tasks } = inFlight({ progress_deadline_secs: 30 }, 'STARTING');
    const back = stepRollout(state, tasks, { now: STARTED + 30 * SECOND, newTaskId: () => 'old-0' });
    assert.equal(back.state.status, 'ROLLING_BACK');
    assert.equal(progressDeadline(back.state), STARTED + 60 * SECOND);
    // The rollback killed the new task and waits for it to end; it never does.
    const stuck = tasks.map((t) => (t.taskId === 'new-0' ? { ...t, state: 'KILLING' as const } : t));
    const early = stepRollout(back.state, stuck, { now: STARTED + 59 * SECOND, newTaskId: () => 'old-0' });
    assert.equal(early.state.status, 'ROLLING_BACK');
    const late = stepRollout(early.state, stuck, { now: STARTED + 60 * SECOND, newTaskId: () => 'old-0' });
    assert.equal(late.state.status, 'FAILED');
    assert.deepEqual(
      late.events.map((e) => `${e.event}:${e.instance}`),
      ['INSTANCE_ROLLBACK_FAILED:0'],
    );
  });

  it('time no reconciler drove the rollout does not count', () => {
    const { state, tasks } = inFlight({ progress_deadline_secs: 30 }, 'STARTING');
    const resumed = { ...state, resumedAt: STARTED + 3600 * SECOND };
    const step = stepRollout(resumed, tasks, { now: STARTED + 3610 * SECOND, newTaskId: () => 'next' });
    assert.equal(step.state.status, 'ROLLING_FORWARD');
    assert.equal(progressDeadline(step.state), STARTED + 3630 * SECOND);
  });
});

describe('yielding to a newer commit', () => {
  const cases: { name: string; tasks: (flight: InFlight) => ObservedTask[]; yields: boolean }[] = [
    { name: 'the new task is being watched', tasks: ({ tasks }) => tasks, yields: true },
    {
      name: 'the new task is not seen yet (just launched)',
      tasks: ({ tasks }) => tasks.filter((t) => t.taskId !== 'new-0'),
      yields: false,
    },
    {
      name: 'the new task ended (to be relaunched or failed)',
      tasks: ({ tasks }) => tasks.map((t) => (t.taskId === 'new-0' ? { ...t, state: 'FAILED' as const } : t)),
      yields: false,
    },
  ];
  for (const c of cases) {
    it(`${c.yields ? 'yields' : 'does not yield'} when ${c.name}`, () => {
      const flight = inFlight({ watch_secs: 3000, progress_deadline_secs: 3600 }, 'RUNNING', true);
      assert.equal(canYield(flight.state, c.tasks(flight)), c.yields);
    });
  }

  it("does not yield in a new job's first rollout until its instances are confirmed", () => {
    const { state, tasks } = inFlight({}, 'RUNNING', false);
    assert.equal(canYield({ ...state, previous: undefined }, tasks), false);
  });

  it('does not yield while an old task is being stopped', () => {
    const from = version('sleep 1000', {});
    const to = version('sleep 2000', {});
    const observed = running(from);
    const change = changeBetween(from, to, observed);
    const stopping = stepRollout(newRollout(change, to, recorded(from), 'c1', STARTED), observed, {
      now: STARTED,
      newTaskId: () => 'unused',
    }).state;
    assert.equal(stopping.instances[0]!.status, 'stopping');
    assert.equal(canYield(stopping, observed), false);
  });
});
