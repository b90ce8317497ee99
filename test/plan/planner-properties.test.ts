/**
 * The planner's safety rules as properties, over random commits, records and snapshots of
 * a small universe of jobs (so that the same job is often declared, recorded and running at
 * once, in another configuration, held, refused, or nothing's at all):
 *
 * - Ownership. The record is the inventory of what Borealis applied. For a job with no
 *   record the plan never kills the job (no `kill` change); it kills tasks of it only when
 *   pruning, and then only its own live tasks: all of them, as an `orphan`, when the commit
 *   does not declare it either, or those beyond the declared instances and duplicates when
 *   it does. Without pruning it kills none and removes no instance. Replacing a declared
 *   instance that runs another configuration (an `update`) is what the commit asks for.
 * - The mass-kill guard. A plan whose `kill` and `orphan` changes stop more than half of
 *   the running jobs carries `massKill`, with those counts, and `applyPass` refuses it
 *   before touching the cluster unless the mass kill is allowed.
 * - Incremental planning. Over random sequences of small changes, the incremental planner
 *   hands out the very plan the pure planner makes, at every step.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import {
  isTerminal,
  REASON_TASK_INVALID,
  type ObservedTask,
  type TaskState,
} from '../../src/cluster/types.js';
import { BorealisError } from '../../src/errors.js';
import type { JobSpec } from '../../src/jobspec/types.js';
import { IncrementalPlanner } from '../../src/plan/incremental.js';
import { plan } from '../../src/plan/planner.js';
import type { Plan, RecordedJob } from '../../src/plan/types.js';
import { applyPass } from '../../src/reconciler/reconcile.js';
import { FileStateStore } from '../../src/state/file/file-store.js';
import { Records } from '../../src/state/records.js';
import { localClusterFixture, type LocalClusterFixture } from '../support/local-cluster-fixture.js';
import { inputOf, jobVariants, type PlanWorld } from '../support/plan-world.js';
import { recorded } from '../support/specs.js';

const SEED = 22;
const NOW = 1_000_000_000;
const NAMES = ['a', 'b', 'c', 'd'] as const;
type Name = (typeof NAMES)[number];
/** Jobs that no commit or record of the universe knows: tasks someone else started. */
const STRANGERS = ['local/www-data/prod/zz', 'local/www-data/prod/yy'];
const STATES: TaskState[] = [
  'PENDING',
  'STARTING',
  'RUNNING',
  'KILLING',
  'FINISHED',
  'FAILED',
  'KILLED',
  'LOST',
];

/** Each job in three configurations; `d` is a batch job, `c` a service once and a cron job twice. */
const UNIVERSE = jobVariants(NAMES, 'd', 'c');
const variantOf = (name: Name, variant: number): JobSpec => UNIVERSE.get(name)![variant]!;
const JOB_IDS = [...NAMES.map((name) => variantOf(name, 0).id), ...STRANGERS];

type World = PlanWorld;

const variantArb = fc.nat({ max: 2 });
const nameArb = fc.constantFrom(...NAMES);

const desiredArb = fc
  .uniqueArray(fc.record({ name: nameArb, variant: variantArb }), {
    selector: (job) => job.name,
    maxLength: 4,
  })
  .map((jobs) => jobs.map(({ name, variant }) => variantOf(name, variant)));

const recordArb = fc.record({
  name: nameArb,
  variant: variantArb,
  held: fc.option(
    fc.record({
      variant: variantArb,
      outcome: fc.constantFrom<'failed' | 'rolled_back'>('failed', 'rolled_back'),
    }),
    { nil: undefined },
  ),
});
type RecordChoice = typeof recordArb extends fc.Arbitrary<infer T> ? T : never;

function recordOf({ name, variant, held }: RecordChoice): RecordedJob {
  const applied = recorded(variantOf(name, variant));
  if (!held) return applied;
  const failed = variantOf(name, held.variant).configHash;
  return { ...applied, held: { configHash: failed, commit: 'c2', outcome: held.outcome, at: 0 } };
}

const recordedArb = fc
  .uniqueArray(recordArb, { selector: (record) => record.name, maxLength: 4 })
  .map((records) => records.map(recordOf));

const taskArb = fc.record({
  job: fc.constantFrom(...JOB_IDS),
  instance: fc.nat({ max: 4 }),
  /** 0..2: one of the job's configurations; 3: one no commit had. */
  config: fc.nat({ max: 3 }),
  state: fc.constantFrom(...STATES),
  age: fc.nat({ max: 20_000 }),
  invalid: fc.boolean(),
  killRequested: fc.boolean(),
  /** A cron run's task: the cron scheduler's, which no plan may touch or count. */
  cronRun: fc.boolean(),
});
type TaskChoice = typeof taskArb extends fc.Arbitrary<infer T> ? T : never;

let taskCount = 0;

function taskOf(choice: TaskChoice, now: number): ObservedTask {
  const name = NAMES.find((n) => variantOf(n, 0).id === choice.job);
  const configHash = name && choice.config < 3 ? variantOf(name, choice.config).configHash : 'elsewhere';
  const ended = isTerminal(choice.state);
  return {
    taskId: `t${++taskCount}`,
    jobId: choice.job,
    instance: choice.instance,
    configHash,
    commit: 'c0',
    state: choice.state,
    updatedAt: now - choice.age,
    launchedAt: now - choice.age - 1_000,
    host: 'localhost',
    ports: {},
    ...(choice.state === 'FAILED' && choice.invalid ? { reason: REASON_TASK_INVALID, message: 'bad' } : {}),
    ...(ended && choice.killRequested ? { killRequested: true } : {}),
    ...(choice.cronRun ? { cronRun: `run-${choice.age}` } : {}),
  };
}

const worldArb: fc.Arbitrary<World> = fc
  .record({
    desired: desiredArb,
    recorded: recordedArb,
    tasks: fc.array(taskArb, { maxLength: 14 }),
    prune: fc.boolean(),
    retryHeld: fc.boolean(),
  })
  .map(({ tasks, ...rest }) => ({ ...rest, observed: tasks.map((t) => taskOf(t, NOW)), now: NOW }));

/** The planner's own tasks: not a cron run's. */
const plannersTasks = (world: World) => world.observed.filter((task) => task.cronRun === undefined);

const live = (world: World, job: string) =>
  plannersTasks(world)
    .filter((task) => task.jobId === job && !isTerminal(task.state))
    .map((task) => task.taskId);

const PARAMETERS = { seed: SEED, numRuns: 300 };

describe('planner properties: ownership', () => {
  it('never kills a task of a job Borealis did not apply, beyond what pruning says', () => {
    const seen = { orphans: 0, prunedDeclared: 0 };
    fc.assert(
      fc.property(worldArb, (world) => {
        const result = plan(inputOf(world));
        const recordedIds = new Set(world.recorded.map((record) => record.id));
        const declared = new Map(world.desired.map((job) => [job.id, job]));
        const runs = new Set(world.observed.filter((task) => task.cronRun).map((task) => task.taskId));
        for (const change of result.changes) {
          assert.ok(!change.killTasks.some((id) => runs.has(id)), `${change.job}: kills no cron run`);
          if (change.action === 'kill')
            assert.ok(recordedIds.has(change.job) && !declared.has(change.job), `${change.job}: kill`);
          if (recordedIds.has(change.job)) continue;
          assert.notEqual(change.action, 'kill', change.job);
          const own = live(world, change.job);
          assert.ok(
            change.killTasks.every((id) => own.includes(id)),
            `${change.job}: kills only its own live tasks`,
          );
          if (!world.prune) {
            assert.deepEqual(change.killTasks, [], `${change.job}: no kills without pruning`);
            assert.deepEqual(change.instances.remove, [], `${change.job}: no removal without pruning`);
          }
          const job = declared.get(change.job);
          if (job) {
            assert.ok(change.instances.update.every((instance) => instance < job.config.instances));
            if (change.killTasks.length > 0) seen.prunedDeclared++;
            continue;
          }
          seen.orphans++;
          assert.ok(world.prune, `${change.job}: an undeclared job's tasks are killed only when pruning`);
          assert.equal(change.action, 'orphan');
          assert.deepEqual(change.killTasks, [...own].sort());
          assert.deepEqual(Object.values(change.instances).flat(), []);
        }
      }),
      PARAMETERS,
    );
    // The worlds must reach the cases the rules are about.
    assert.ok(seen.orphans > 20 && seen.prunedDeclared > 20, JSON.stringify(seen));
  });
});

describe('planner properties: the mass-kill guard', () => {
  it('marks every plan that kills more than half of the running jobs, and only those', () => {
    const seen = { marked: 0, unmarked: 0 };
    fc.assert(
      fc.property(worldArb, (world) => {
        const result = plan(inputOf(world));
        const running = new Set(
          plannersTasks(world)
            .filter((task) => !isTerminal(task.state))
            .map((t) => t.jobId),
        );
        const killed = result.changes.filter(
          (change) => (change.action === 'kill' || change.action === 'orphan') && running.has(change.job),
        ).length;
        const tooMany = running.size > 0 && killed * 2 > running.size;
        assert.equal(result.massKill !== undefined, tooMany, `${killed} of ${running.size} running jobs`);
        if (result.massKill) {
          assert.equal(result.massKill.killed, killed);
          assert.equal(result.massKill.running, running.size);
        }
        seen[result.massKill ? 'marked' : 'unmarked']++;
      }),
      PARAMETERS,
    );
    assert.ok(seen.marked > 30 && seen.unmarked > 30, JSON.stringify(seen));
  });

  describe('applying', () => {
    let fixture: LocalClusterFixture;
    let root: string;
    let records: Records;
    before(async () => {
      fixture = await localClusterFixture();
      root = await mkdtemp(join(tmpdir(), 'borealis-planner-properties-'));
      records = new Records(await FileStateStore.open(root));
    });
    after(async () => {
      await fixture.cleanup();
      await rm(root, { recursive: true, force: true });
    });

    it('refuses a plan the guard marked before touching the cluster or the records', async () => {
      const refusals: Plan[] = [];
      await fc.assert(
        fc.asyncProperty(worldArb, async (world) => {
          const result = plan(inputOf(world));
          fc.pre(result.massKill !== undefined);
          const pass = {
            commit: 'c1',
            clusterName: 'local',
            jobs: world.desired,
            cluster: fixture.cluster,
            records,
          };
          await assert.rejects(
            applyPass(pass, result),
            (error) => error instanceof BorealisError && error.code === 'MASS_KILL_REFUSED',
          );
          await assert.rejects(applyPass(pass, result, { allowMassKill: false }), BorealisError);
          refusals.push(result);
        }),
        { seed: SEED, numRuns: 40 },
      );
      assert.equal(refusals.length, 40);
      assert.deepEqual(await fixture.cluster.snapshot(), [], 'nothing launched or killed');
      assert.deepEqual(await records.jobs(), [], 'nothing recorded');
    });
  });
});

/** One small change between two passes, as the daemon meets them. */
const stepArb = fc.oneof(
  fc.record({ kind: fc.constant('spec' as const), name: nameArb, variant: variantArb }),
  fc.record({ kind: fc.constant('drop spec' as const), name: nameArb }),
  fc.record({ kind: fc.constant('reload spec' as const), name: nameArb }),
  fc.record({ kind: fc.constant('record' as const), record: recordArb }),
  fc.record({ kind: fc.constant('drop record' as const), name: nameArb }),
  fc.record({ kind: fc.constant('task changes' as const), at: fc.nat(), task: taskArb }),
  fc.record({ kind: fc.constant('task starts' as const), task: taskArb }),
  fc.record({ kind: fc.constant('task forgotten' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('new snapshot' as const) }),
  fc.record({ kind: fc.constant('options' as const), prune: fc.boolean(), retryHeld: fc.boolean() }),
  fc.record({ kind: fc.constant('time passes' as const), ms: fc.nat({ max: 5_000 }) }),
  fc.record({ kind: fc.constant('time passes' as const), ms: fc.nat({ max: 150_000 }) }),
);
type Step = typeof stepArb extends fc.Arbitrary<infer T> ? T : never;
/** What changed between two passes: mostly one thing, sometimes several (a commit and a new snapshot). */
const passArb = fc.oneof(
  { arbitrary: fc.tuple(stepArb), weight: 3 },
  { arbitrary: fc.array(stepArb, { minLength: 2, maxLength: 3 }), weight: 1 },
);

const replacedAt = <T>(items: readonly T[], index: number, item: T) =>
  items.map((old, at) => (at === index ? item : old));

/** The world after one step; unchanged parts stay the same objects, as the daemon's caches keep them. */
function applyStep(world: World, step: Step): World {
  const specAt = (name: Name) => world.desired.findIndex((job) => job.key.name === name);
  switch (step.kind) {
    case 'spec': {
      const at = specAt(step.name);
      const job = variantOf(step.name, step.variant);
      return { ...world, desired: at === -1 ? [...world.desired, job] : replacedAt(world.desired, at, job) };
    }
    case 'drop spec':
      return { ...world, desired: world.desired.filter((job) => job.key.name !== step.name) };
    case 'reload spec': {
      const at = specAt(step.name);
      return at === -1
        ? world
        : { ...world, desired: replacedAt(world.desired, at, { ...world.desired[at]! }) };
    }
    case 'record': {
      const record = recordOf(step.record);
      const at = world.recorded.findIndex((old) => old.id === record.id);
      return {
        ...world,
        recorded: at === -1 ? [...world.recorded, record] : replacedAt(world.recorded, at, record),
      };
    }
    case 'drop record': {
      const id = variantOf(step.name, 0).id;
      return { ...world, recorded: world.recorded.filter((record) => record.id !== id) };
    }
    case 'task changes': {
      if (world.observed.length === 0) return world;
      const at = step.at % world.observed.length;
      const old = world.observed[at]!;
      const changed = {
        ...taskOf({ ...step.task, job: old.jobId, instance: old.instance }, world.now),
        taskId: old.taskId,
      };
      return { ...world, observed: replacedAt(world.observed, at, changed) };
    }
    case 'task starts':
      return { ...world, observed: [...world.observed, taskOf(step.task, world.now)] };
    case 'task forgotten': {
      if (world.observed.length === 0) return world;
      const at = step.at % world.observed.length;
      return { ...world, observed: world.observed.filter((_, index) => index !== at) };
    }
    case 'new snapshot':
      return { ...world, observed: [...world.observed] };
    case 'options':
      return { ...world, prune: step.prune, retryHeld: step.retryHeld };
    case 'time passes':
      return { ...world, now: world.now + step.ms };
  }
}

describe('planner properties: incremental planning', () => {
  it('plans as the pure planner at every pass of random sequences of small changes', () => {
    const planned = { fromLast: 0, inFull: 0 };
    fc.assert(
      fc.property(worldArb, fc.array(passArb, { minLength: 1, maxLength: 25 }), (start, passes) => {
        const incremental = new IncrementalPlanner();
        let world = start;
        assert.deepEqual(incremental.plan(inputOf(world)), plan(inputOf(world)), 'the first plan');
        for (const [index, steps] of passes.entries()) {
          world = steps.reduce(applyStep, world);
          const taken = steps.map((step) => step.kind).join(', ');
          assert.deepEqual(incremental.plan(inputOf(world)), plan(inputOf(world)), `pass ${index}: ${taken}`);
        }
        planned.fromLast += incremental.planned.fromLast;
        planned.inFull += incremental.planned.inFull;
      }),
      { seed: SEED, numRuns: 200 },
    );
    // The sequences must exercise planning from the last plan, not fall back to full plans all along.
    assert.ok(
      planned.fromLast > planned.inFull,
      `${planned.fromLast} plans from the last, ${planned.inFull} in full`,
    );
  });
});
