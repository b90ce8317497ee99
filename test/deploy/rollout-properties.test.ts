/**
 * Safety properties of the rolling update, over random runs: random settings (batch size,
 * instances before and after, failure limits, rollback, watch, deadline) and a random
 * sequence of what the cluster and the reconciler do (a task settles, fails or is lost,
 * time passes, a newer commit asks the rollout to stop, the reconciler dies after saving a
 * step). The pure step function is driven directly against a tiny model cluster that
 * applies its actions, so each run takes well under a millisecond.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { isTerminal, REASON_TASK_INVALID, type ObservedTask } from '../../src/cluster/types.js';
import { newRollout } from '../../src/deploy/new-rollout.js';
import {
  canYield,
  inFlightActions,
  isFinished,
  isInFlight,
  stepRollout,
  type RolloutAction,
  type RolloutState,
  type RolloutStep,
} from '../../src/deploy/rollout.js';
import type { JobChange } from '../../src/plan/types.js';
import { progressDeadlineSecs, type JobSpec, type UpdateConfig } from '../../src/jobspec/types.js';
import { recorded, running, spec, task } from '../support/specs.js';

const OLD = spec({ name: 'web', service: true });
const NEW = spec({ name: 'web', service: true, env: { VERSION: '2' } });

/** What a run starts from: the job before and after, and how it is to be rolled out. */
interface Setup {
  kind: 'create' | 'update' | 'scale';
  /** Instances before the rollout (none for a create). */
  before: number;
  after: number;
  update: UpdateConfig;
  service: boolean;
}

type Happening =
  /** The instance's live tasks (every instance's, when none is named) settle: a kill ends, a start runs, healthy or not. */
  | { kind: 'settle'; instance?: number; healthy: boolean }
  /** The instance's newest live task fails (or is refused as invalid). */
  | { kind: 'fail'; instance: number; invalid: boolean }
  /** The instance's newest live task is lost with its agent. */
  | { kind: 'lose'; instance: number }
  | { kind: 'advance'; secs: number }
  /** A newer commit waits: the rollout is asked to stop at the next safe point. */
  | { kind: 'supersede' }
  /** The reconciler dies in the next step that acts, after saving it and performing `performed` of its actions. */
  | { kind: 'crash'; performed: number }
  /** The cluster shows the next step's launches only after the reconciler has looked again. */
  | { kind: 'lag' };

const mostly = (value: boolean) =>
  fc.oneof({ weight: 4, arbitrary: fc.constant(value) }, { weight: 1, arbitrary: fc.constant(!value) });

const setups: fc.Arbitrary<Setup> = fc
  .record({
    kind: fc.oneof(
      { weight: 1, arbitrary: fc.constant('create' as const) },
      { weight: 4, arbitrary: fc.constant('update' as const) },
      { weight: 1, arbitrary: fc.constant('scale' as const) },
    ),
    before: fc.integer({ min: 1, max: 5 }),
    after: fc.integer({ min: 1, max: 5 }),
    service: fc.boolean(),
    batch_size: fc.integer({ min: 1, max: 4 }),
    watch_secs: fc.integer({ min: 0, max: 20 }),
    max_per_shard_failures: fc.integer({ min: 0, max: 2 }),
    max_total_failures: fc.integer({ min: 0, max: 3 }),
    rollback_on_failure: mostly(true),
    wait_for_batch_completion: fc.boolean(),
    deadline_beyond_watch: fc.option(fc.integer({ min: 1, max: 60 }), { nil: undefined }),
  })
  .map(({ kind, before, after, service, deadline_beyond_watch, ...update }) => ({
    kind,
    before: kind === 'create' ? 0 : before,
    after,
    service,
    update: {
      ...update,
      ...(deadline_beyond_watch === undefined
        ? {}
        : { progress_deadline_secs: update.watch_secs + deadline_beyond_watch }),
    },
  }));

const instanceIndex = fc.nat({ max: 4 });
/** Mostly a few seconds, at times long enough to pass a progress deadline. */
const seconds = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 0, max: 10 }) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 120 }) },
);
const happenings: fc.Arbitrary<Happening[]> = fc.array(
  fc.oneof(
    {
      weight: 6,
      arbitrary: fc.record(
        {
          kind: fc.constant('settle'),
          instance: fc.option(instanceIndex, { nil: undefined }),
          healthy: mostly(true),
        },
        { requiredKeys: ['kind', 'healthy'] },
      ),
    },
    {
      weight: 1,
      arbitrary: fc.record({ kind: fc.constant('fail'), instance: instanceIndex, invalid: fc.boolean() }),
    },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('lose'), instance: instanceIndex }) },
    {
      weight: 4,
      arbitrary: fc.record({ kind: fc.constant('advance'), secs: seconds }),
    },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('supersede') }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('crash'), performed: fc.nat({ max: 3 }) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('lag') }) },
  ),
  { maxLength: 80, size: 'max' },
);

function job(base: JobSpec, instances: number, setup: Setup): JobSpec {
  return {
    ...base,
    config: { ...base.config, instances, service: setup.service, update_config: setup.update },
  };
}

function range(from: number, to: number): number[] {
  return Array.from({ length: Math.max(0, to - from) }, (_, i) => from + i);
}

/** The rollout the executor would start for `setup`, as `newRollout` builds it from a plan's change. */
function initialRollout(setup: Setup): RolloutState {
  const from = job(OLD, setup.before, setup);
  const to = job(setup.kind === 'scale' ? OLD : NEW, setup.after, setup);
  const kept = Math.min(setup.before, setup.after);
  const change = {
    job: to.id,
    action: setup.kind,
    instances: {
      add: range(setup.before, setup.after),
      update: setup.kind === 'update' ? range(0, kept) : [],
      remove: range(setup.after, setup.before),
      heal: [],
      unchanged: setup.kind === 'update' ? [] : range(0, kept),
    },
    killTasks: [],
    deferred: [],
    diff: [],
  } as JobChange;
  return newRollout(change, to, setup.kind === 'create' ? undefined : recorded(from), 'c1', 0);
}

/** A cluster that applies the rollout's actions, and the record of what it was asked. */
class ModelCluster {
  now = 1_000_000;
  readonly tasks = new Map<string, ObservedTask>();
  /** Launches accepted but not yet shown while `holding`. */
  holding = false;
  private readonly inTransit = new Map<string, ObservedTask>();
  private ids = 0;

  constructor(initial: ObservedTask[]) {
    for (const task of initial) this.tasks.set(task.taskId, { ...task, updatedAt: this.now });
  }

  snapshot(): ObservedTask[] {
    return [...this.tasks.values()].map((task) => ({ ...task }));
  }

  live(instance?: number): ObservedTask[] {
    return [...this.tasks.values()].filter(
      (task) => !isTerminal(task.state) && (instance === undefined || task.instance === instance),
    );
  }

  newTaskId = (instance: number): string => `t${++this.ids}-${instance}`;

  apply(action: RolloutAction): void {
    if (action.kind === 'kill') {
      const task = this.tasks.get(action.taskId);
      if (task && !isTerminal(task.state)) this.change(task, { state: 'KILLING', killRequested: true });
      return;
    }
    const { taskId, instance, version } = action;
    if (this.tasks.has(taskId) || this.inTransit.has(taskId)) return; // the same task id again: harmless
    const at = { updatedAt: this.now, launchedAt: this.now };
    const launched = task(OLD, instance, {
      taskId,
      configHash: version.configHash,
      state: 'STARTING',
      ...at,
    });
    (this.holding ? this.inTransit : this.tasks).set(taskId, launched);
  }

  land(): void {
    for (const [taskId, launched] of this.inTransit) this.tasks.set(taskId, launched);
    this.inTransit.clear();
  }

  settle(instance: number | undefined, healthy: boolean): void {
    for (const task of this.live(instance)) {
      if (task.state === 'KILLING') this.change(task, { state: 'KILLED' });
      else if (task.state !== 'RUNNING' || task.healthy !== healthy)
        this.change(task, { state: 'RUNNING', healthy });
    }
  }

  end(instance: number, fields: Partial<ObservedTask>): void {
    const newest = this.live(instance).sort((a, b) => b.launchedAt - a.launchedAt)[0];
    if (newest) this.change(newest, fields);
  }

  private change(task: ObservedTask, fields: Partial<ObservedTask>): void {
    Object.assign(task, fields, { updatedAt: this.now });
  }
}

/** One rollout driven step by step as the executor drives it, checking the safety properties after each. */
class Run {
  readonly cluster: ModelCluster;
  state: RolloutState;
  halt = false;
  /** The rollout stopped for a newer commit at a safe point. */
  yielded = false;
  /** The latest step's actions were cut short by a crash. */
  crashed = false;
  /** A crash is due in the next step that acts, after this many of its actions. */
  private crashAfter: number | undefined;
  /** The next step's launches show only after the step after it. */
  private lagging = false;
  readonly span: number;
  /** Task ids launched (or running at the start) per instance and configuration. */
  private readonly launched = new Map<string, string[]>();
  /** Instances in flight only to replace a task lost after they were done: not a batch place taken. */
  private readonly relaunchedAfterLoss = new Set<number>();

  constructor(readonly setup: Setup) {
    this.state = initialRollout(setup);
    this.cluster = new ModelCluster(setup.before > 0 ? running(job(OLD, setup.before, setup)) : []);
    this.span = Math.max(setup.before, setup.after);
    for (const task of this.cluster.live())
      this.launchedFor(task.instance, task.configHash).push(task.taskId);
  }

  get over(): boolean {
    return isFinished(this.state) || this.yielded;
  }

  happen(happening: Happening): void {
    switch (happening.kind) {
      case 'settle':
        this.cluster.settle(this.pick(happening.instance), happening.healthy);
        break;
      case 'fail':
        this.cluster.end(this.pick(happening.instance), {
          state: 'FAILED',
          reason: happening.invalid ? REASON_TASK_INVALID : 'REASON_COMMAND_EXECUTOR_FAILED',
        });
        break;
      case 'lose':
        this.cluster.end(this.pick(happening.instance), { state: 'LOST' });
        break;
      case 'advance':
        this.cluster.now += happening.secs * 1000;
        break;
      case 'supersede':
        this.halt = true;
        break;
      case 'crash':
        this.crashAfter = happening.performed;
        break;
      case 'lag':
        this.lagging = true;
        break;
    }
    this.step();
  }

  private pick<T extends number | undefined>(instance: T): T {
    return (instance === undefined ? instance : instance % this.span) as T;
  }

  /** Every task settles healthy and the watch passes, round after round. */
  /** Nothing settles: time runs past the progress deadline, round after round. */
  neglect(): void {
    this.cluster.now += (progressDeadlineSecs(this.state.settings) + 1) * 1000;
    this.step();
  }

  settleEverything(): void {
    this.cluster.settle(undefined, true);
    this.cluster.now += this.state.settings.watch_secs * 1000;
    this.step();
  }

  /** One executor turn: step, save, act (or die partway, restart and repeat the in-flight actions). */
  step(): void {
    if (this.over) return;
    const observed = this.cluster.snapshot();
    const before = this.state;
    const step = stepRollout(before, observed, {
      now: this.cluster.now,
      newTaskId: this.cluster.newTaskId,
      yielding: this.halt,
    });
    this.noteRelaunches(before, step);
    this.state = step.state;
    this.crashed = this.crashAfter !== undefined && step.actions.length > 0;
    const performed = this.crashed ? this.crashAfter : undefined;
    if (this.crashed) this.crashAfter = undefined;
    const lagged = this.lagging && step.actions.some((action) => action.kind === 'launch');
    if (lagged) this.lagging = false;
    this.cluster.holding = lagged;
    this.perform(step.actions.slice(0, performed), observed);
    if (this.crashed && !isFinished(this.state)) {
      this.state = { ...this.state, resumedAt: this.cluster.now };
      this.perform(inFlightActions(this.state), observed);
    }
    this.cluster.holding = false;
    this.yielded = this.halt && !isFinished(this.state) && canYield(this.state, observed);
    this.check();
    if (!lagged) return;
    this.step();
    this.cluster.land();
    this.check();
  }

  private check(): void {
    this.checkBatch();
    this.checkLiveTasks();
    if (this.state.status === 'ROLLED_BACK') this.checkRolledBack();
  }

  private perform(actions: RolloutAction[], observed: ObservedTask[]): void {
    for (const action of actions) {
      if (action.kind === 'launch') this.checkLaunch(action, observed);
      this.cluster.apply(action);
    }
  }

  private noteRelaunches(before: RolloutState, step: RolloutStep): void {
    const wasDone = new Set(before.instances.filter((p) => p.status === 'done').map((p) => p.instance));
    for (const event of step.events) {
      if (event.event === 'INSTANCE_RELAUNCHED' && wasDone.has(event.instance))
        this.relaunchedAfterLoss.add(event.instance);
    }
    for (const progress of step.state.instances)
      if (!isInFlight(progress)) this.relaunchedAfterLoss.delete(progress.instance);
    if (step.state.status !== before.status) this.relaunchedAfterLoss.clear();
  }

  private launchedFor(instance: number, configHash: string): string[] {
    const key = `${instance}/${configHash}`;
    if (!this.launched.has(key)) this.launched.set(key, []);
    return this.launched.get(key)!;
  }

  /** (d) No instance is launched twice for one configuration while its earlier task may still run. */
  private checkLaunch(action: RolloutAction & { kind: 'launch' }, observed: ObservedTask[]): void {
    const ids = this.launchedFor(action.instance, action.version.configHash);
    const seenEnded = new Set(observed.filter((t) => isTerminal(t.state)).map((t) => t.taskId));
    for (const earlier of ids) {
      assert.ok(
        earlier === action.taskId || seenEnded.has(earlier),
        `instance ${action.instance} launched as ${action.taskId} while its task ${earlier} of the same configuration was not seen to end`,
      );
    }
    if (!ids.includes(action.taskId)) ids.push(action.taskId);
  }

  /** (a) Instances the update has taken down never exceed batch_size. */
  private checkBatch(): void {
    const taken = this.state.instances.filter(
      (p) => isInFlight(p) && !this.relaunchedAfterLoss.has(p.instance),
    );
    assert.ok(
      taken.length <= this.state.settings.batch_size,
      `${taken.length} instances in flight (${taken.map((p) => p.instance).join(', ')}), batch_size ${this.state.settings.batch_size}`,
    );
  }

  /** (b) Live tasks never exceed instances + batch_size, and an instance never runs two. */
  private checkLiveTasks(): void {
    const live = this.cluster.live();
    const bound = this.span + this.state.settings.batch_size;
    assert.ok(live.length <= bound, `${live.length} live tasks, more than ${this.span} + batch_size`);
    for (let instance = 0; instance < this.span; instance++) {
      const tasks = this.cluster.live(instance).map((t) => `${t.taskId} ${t.state}`);
      assert.ok(tasks.length <= 1, `instance ${instance} runs ${tasks.length} tasks: ${tasks.join(', ')}`);
    }
  }

  /**
   * (c) A finished rollback ends on the previous configuration: every instance it rolled
   * back was confirmed on a task of it, and no task of the failed configuration is left
   * running (an added instance's is being killed; only a crash can have cut that kill short).
   * A task that ends after its instance was confirmed is the reconciler's to relaunch.
   */
  private checkRolledBack(): void {
    const { target: previous, previousInstances } = this.state;
    for (const progress of this.state.instances.filter((p) => p.status === 'done')) {
      const confirmed = this.cluster.tasks.get(progress.taskId ?? '');
      assert.equal(
        confirmed?.configHash,
        previous.configHash,
        `instance ${progress.instance} was rolled back on ${progress.taskId}`,
      );
    }
    for (const task of this.cluster.live()) {
      const leftOver = task.state !== 'KILLING' && task.configHash !== previous.configHash;
      const cutShort = task.instance >= previousInstances && this.crashed;
      assert.ok(
        !leftOver || cutShort,
        `instance ${task.instance} still runs ${task.taskId} after the rollback`,
      );
    }
  }
}

/** Rounds after which a rollout must have ended: far more than any run needs. */
const FINAL_ROUNDS = 200;

describe('rollout properties', () => {
  it('a stall found in the step that launches leaves no task of the failed configuration (found by the properties)', () => {
    const run = new Run({
      kind: 'update',
      before: 1,
      after: 1,
      service: true,
      update: {
        batch_size: 1,
        watch_secs: 1,
        max_per_shard_failures: 0,
        max_total_failures: 0,
        rollback_on_failure: true,
        wait_for_batch_completion: false,
        progress_deadline_secs: 22,
      },
    });
    run.step(); // kills the old task
    run.cluster.settle(0, true);
    run.cluster.now += 22_000; // the old task ends just as the deadline passes
    run.step();
    assert.equal(run.state.status, 'ROLLING_BACK');
    assert.deepEqual(
      run.cluster.live(0).map((task) => task.configHash),
      [OLD.configHash],
      'only the rollback launches',
    );
  });

  it('keeps its safety rules on any run, and ends whether the cluster then settles or not', () => {
    fc.assert(
      fc.property(setups, happenings, fc.boolean(), (setup, sequence, settles) => {
        const run = new Run(setup);
        run.step();
        for (const happening of sequence) run.happen(happening);
        for (let round = 0; round < FINAL_ROUNDS && !run.over; round++)
          if (settles) run.settleEverything();
          else run.neglect();
        const rounds = `${FINAL_ROUNDS} ${settles ? 'settled' : 'neglected'} rounds`;
        assert.ok(run.over, `still ${run.state.status} after ${rounds}`);
      }),
      { numRuns: 400, seed: 22, includeErrorInReport: true },
    );
  });
});
