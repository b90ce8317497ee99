/**
 * A plan made by the incremental planner (from the last plan, or reusing decisions) must
 * equal the pure plan,
 * whatever happened in between. Random walks over a small universe of jobs change one input
 * at a time, as passes of the daemon do: a spec, a record, a task, the options, the clock.
 * Job `d` is a cron job in two of its configurations, so cron runs come and go and its next
 * runs move on as minutes pass.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { REASON_TASK_INVALID, type ObservedTask, type TaskState } from '../../src/cluster/types.js';
import { IncrementalPlanner } from '../../src/plan/incremental.js';
import { plan } from '../../src/plan/planner.js';
import type { RecordedJob } from '../../src/plan/types.js';
import type { JobSpec } from '../../src/jobspec/types.js';
import { inputOf, jobVariants, type PlanWorld } from '../support/plan-world.js';
import { recorded, task } from '../support/specs.js';

const NOW = 1_000_000_000;
const NAMES = ['a', 'b', 'c', 'd', 'e'];

const UNIVERSE = jobVariants(NAMES, 'e', 'd');

/** Mulberry32: a seeded generator, so a failing walk can be replayed. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type World = PlanWorld;

type Step = (world: World, pick: <T>(items: readonly T[]) => T, roll: () => number) => World;

const variantOf = (job: JobSpec, pick: <T>(items: readonly T[]) => T) => pick(UNIVERSE.get(job.key.name)!);
const replaced = <T>(items: readonly T[], index: number, item: T) =>
  items.map((old, at) => (at === index ? item : old));

const STEPS: [string, Step][] = [
  [
    'a spec changes',
    (w, pick, roll) => {
      if (w.desired.length === 0) return w;
      const index = Math.floor(roll() * w.desired.length);
      return { ...w, desired: replaced(w.desired, index, variantOf(w.desired[index]!, pick)) };
    },
  ],
  [
    'a spec is loaded again, equal but a new object',
    (w, _pick, roll) => {
      if (w.desired.length === 0) return w;
      const index = Math.floor(roll() * w.desired.length);
      return { ...w, desired: replaced(w.desired, index, { ...w.desired[index]! }) };
    },
  ],
  [
    'a job is added or removed',
    (w, pick) => {
      const name = pick(NAMES);
      const present = w.desired.some((job) => job.key.name === name);
      const desired = present
        ? w.desired.filter((job) => job.key.name !== name)
        : [...w.desired, pick(UNIVERSE.get(name)!)];
      return { ...w, desired };
    },
  ],
  [
    'a record changes',
    (w, pick) => {
      const job = pick(UNIVERSE.get(pick(NAMES))!);
      const index = w.recorded.findIndex((record) => record.id === job.id);
      const held = pick([false, true]);
      const record: RecordedJob = held
        ? {
            ...recorded(job),
            held: {
              configHash: variantOf(job, pick).configHash,
              commit: 'c2',
              outcome: 'rolled_back',
              at: 0,
            },
          }
        : recorded(job);
      if (index === -1) return { ...w, recorded: [...w.recorded, record] };
      if (pick([false, false, true])) return { ...w, recorded: w.recorded.filter((_, at) => at !== index) };
      return { ...w, recorded: replaced(w.recorded, index, record) };
    },
  ],
  [
    'a task changes state',
    (w, pick, roll) => {
      if (w.observed.length === 0) return w;
      const index = Math.floor(roll() * w.observed.length);
      const state = pick<TaskState>(['RUNNING', 'FAILED', 'LOST', 'FINISHED', 'KILLED', 'STARTING']);
      const invalid = state === 'FAILED' && pick([false, false, true]);
      const changed: ObservedTask = {
        ...w.observed[index]!,
        state,
        updatedAt: w.now - Math.floor(roll() * 5_000),
        ...(invalid ? { reason: REASON_TASK_INVALID, message: 'bad' } : {}),
      };
      return { ...w, observed: replaced(w.observed, index, changed) };
    },
  ],
  [
    'a task starts',
    (w, pick) => {
      const job = pick(UNIVERSE.get(pick(NAMES))!);
      const started = task(job, pick([0, 1, 2, 3]), { updatedAt: w.now });
      return { ...w, observed: [...w.observed, started] };
    },
  ],
  [
    'a cron run starts',
    (w, pick) => {
      const job = pick(UNIVERSE.get('d')!);
      const run = `schedule-${w.now}`;
      const started = [0, 1].map((instance) => task(job, instance, { cronRun: run, updatedAt: w.now }));
      return { ...w, observed: [...w.observed, ...started] };
    },
  ],
  [
    'a task is forgotten',
    (w, _pick, roll) => {
      if (w.observed.length === 0) return w;
      const index = Math.floor(roll() * w.observed.length);
      return { ...w, observed: w.observed.filter((_, at) => at !== index) };
    },
  ],
  [
    'a task nothing declares appears',
    (w, pick) => ({
      ...w,
      observed: [...w.observed, task(`local/www-data/prod/${pick(['zz', 'yy'])}`, pick([0, 1]))],
    }),
  ],
  ['the options change', (w, pick) => ({ ...w, prune: pick([true, false]), retryHeld: pick([true, false]) })],
  ['time passes', (w, _pick, roll) => ({ ...w, now: w.now + Math.floor(roll() * 4_000) })],
  ['a minute or so passes', (w, _pick, roll) => ({ ...w, now: w.now + Math.floor(roll() * 150_000) })],
  ['nothing changes, a new snapshot', (w) => ({ ...w, observed: [...w.observed] })],
];

function initialWorld(): World {
  const desired = NAMES.map((name) => UNIVERSE.get(name)![1]!);
  const observed = desired.flatMap((job) =>
    Array.from({ length: job.config.instances }, (_, instance) => task(job, instance)),
  );
  return {
    desired,
    recorded: desired.map((job) => recorded(job)),
    observed,
    prune: true,
    retryHeld: false,
    now: NOW,
  };
}

describe('plan from the last plan', () => {
  it('equals a plan made in full after every step of 40 random walks', () => {
    const incremental = new IncrementalPlanner();
    let steps = 0;
    for (let seed = 1; seed <= 40; seed++) {
      const roll = random(seed);
      const pick = <T>(items: readonly T[]): T => items[Math.floor(roll() * items.length)]!;
      let world = initialWorld();
      const taken: string[] = [];
      for (let step = 0; step < 60; step++) {
        const [name, next] = pick(STEPS);
        world = next(world, pick, roll);
        taken.push(name);
        const fromLast = incremental.plan(inputOf(world));
        const pure = plan(inputOf(world));
        assert.deepEqual(fromLast, pure, `seed ${seed}, after: ${taken.slice(-4).join(' → ')}`);
        steps++;
      }
    }
    // The walks must exercise the partial plan, not fall back to full plans all along.
    assert.ok(
      incremental.planned.fromLast > steps / 3,
      `only ${incremental.planned.fromLast} of ${steps} plans from the last`,
    );
    assert.ok(
      incremental.planned.inFull > steps / 10,
      `only ${incremental.planned.inFull} of ${steps} plans in full`,
    );
  });

  it('hands out plans that later plans do not alter', () => {
    const incremental = new IncrementalPlanner();
    const world = initialWorld();
    const first = incremental.plan(inputOf(world));
    const snapshot = structuredClone(first);
    const desired = replaced(world.desired, 0, UNIVERSE.get('a')![2]!);
    const second = incremental.plan(inputOf({ ...world, desired }));
    assert.equal(incremental.planned.fromLast, 1);
    assert.notDeepEqual(second.changes[0], first.changes[0]);
    assert.deepEqual(first, snapshot, 'the first plan is as it was handed out');
    assert.throws(() => first.changes.pop(), TypeError, 'callers cannot alter a plan');
    assert.throws(() => first.warnings.push('added by the caller'), TypeError);
  });
});
