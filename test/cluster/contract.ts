/**
 * The contract every `Cluster` backend must pass, as test/state/contract.ts is for
 * `StateStore` (and unstorage's `testDriver` for its drivers). `open` gives a fresh backend
 * for each test: `connect` makes a Cluster object on its tasks, and a second `connect` is a
 * scheduler restarted on the same tasks. Waits are for events; the deadlines only turn a
 * broken backend into a failure instead of a hang.
 *
 * What a backend cannot offer is a capability flag, set with its reason where the suite is
 * run; a case it turns off is replaced by one that states what the backend does instead.
 *
 *   testCluster('LocalCluster', openLocal, { sameSnapshotWhileUnchanged: false });
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isTerminal, type Cluster, type TaskLaunch, type TaskState } from '../../src/cluster/types.js';
import { buildLaunch, processConfig } from '../support/launch-builder.js';
import { eventually, UpdateRecorder } from '../support/waiting.js';

export interface ClusterBackend {
  /** A new Cluster object on this backend's tasks; closed by the suite. */
  connect(): Promise<Cluster>;
  /**
   * How many times the machines were told to start `taskId`, from the backend's own record
   * (a master's launch calls); a backend without such a record leaves it out, and a second
   * start then shows in its snapshot as a new launch time or a state gone back to STARTING.
   */
  starts?(taskId: string): number;
  /** Stops whatever still runs and removes the backend's state. */
  cleanup(): Promise<void>;
}

export interface ClusterCapabilities {
  /** The port allows a backend to answer the same frozen array while no task changed. */
  sameSnapshotWhileUnchanged: boolean;
}

/** Deadline for a task to reach a state: a launch on the local backend starts real processes. */
const SETTLE_MS = 20_000;

const BEFORE_RUNNING: ReadonlySet<TaskState> = new Set(['PENDING', 'STARTING']);

/** A task that runs until it is killed, and stops at once when it is. */
function sleeper(instance = 0): TaskLaunch {
  return buildLaunch({
    name: 'contract',
    instance,
    processes: [processConfig('main', 'exec sleep 1000')],
    task: { finalization_wait: 0 },
  });
}

export function testCluster(
  name: string,
  open: () => Promise<ClusterBackend>,
  capabilities: ClusterCapabilities,
): void {
  interface Session {
    backend: ClusterBackend;
    cluster: Cluster;
    events: UpdateRecorder;
    /** Another Cluster object on the same tasks, after the first one closed: a restart. */
    restart: () => Promise<{ cluster: Cluster; events: UpdateRecorder }>;
    /** Launches and waits until the task is RUNNING. */
    start: (launch: TaskLaunch) => Promise<void>;
  }

  async function withCluster(use: (session: Session) => Promise<void>): Promise<void> {
    const backend = await open();
    const opened: { cluster: Cluster; events: UpdateRecorder }[] = [];
    const connect = async () => {
      const cluster = await backend.connect();
      const connection = { cluster, events: new UpdateRecorder(cluster) };
      opened.push(connection);
      return connection;
    };
    try {
      const { cluster, events } = await connect();
      await use({
        backend,
        cluster,
        events,
        restart: async () => {
          await cluster.close();
          return connect();
        },
        start: async (launch) => {
          await cluster.launch([launch]);
          await events.waitFor(launch.taskId, 'RUNNING', SETTLE_MS);
        },
      });
    } finally {
      for (const { cluster, events } of opened) {
        events.stop();
        await cluster.close();
      }
      await backend.cleanup();
    }
  }

  async function taskOf(cluster: Cluster, taskId: string) {
    return (await cluster.snapshot()).find((task) => task.taskId === taskId);
  }

  describe(`${name} (Cluster contract)`, () => {
    it('launches a task, reports it RUNNING with the labels it was launched with, and kills it as asked', () =>
      withCluster(async ({ cluster, events, start }) => {
        const launch = sleeper(3);
        await start(launch);
        const seen = await taskOf(cluster, launch.taskId);
        assert.deepEqual(
          [seen?.jobId, seen?.instance, seen?.configHash, seen?.commit, seen?.state],
          [launch.jobId, 3, launch.configHash, launch.commit, 'RUNNING'],
        );
        assert.ok(seen!.launchedAt > 0 && seen!.updatedAt >= seen!.launchedAt, JSON.stringify(seen));
        assert.equal(seen!.killRequested ?? false, false, 'nobody asked to kill it yet');
        await cluster.kill([launch.taskId]);
        await events.waitFor(launch.taskId, 'KILLED', SETTLE_MS);
        const killed = await taskOf(cluster, launch.taskId);
        assert.deepEqual([killed?.state, killed?.killRequested], ['KILLED', true]);
      }));

    it('reports a cron run’s task with its run, in snapshots, updates and after a restart; other tasks without one', () =>
      withCluster(async ({ cluster, events, start, restart }) => {
        const [run, plain] = [{ ...sleeper(0), cronRun: 'schedule-20261208T0100Z' }, sleeper(1)];
        await start(run);
        await start(plain);
        assert.equal((await taskOf(cluster, run.taskId))?.cronRun, run.cronRun);
        assert.equal((await taskOf(cluster, plain.taskId))?.cronRun, undefined);
        const heard = events.forTask(run.taskId).map((update) => update.task.cronRun);
        assert.deepEqual(new Set(heard), new Set([run.cronRun]), events.history(run.taskId));
        const { cluster: next, events: after } = await restart();
        await eventually(
          async () => (await taskOf(next, run.taskId))?.state === 'RUNNING',
          SETTLE_MS,
          'the run adopted',
        );
        assert.equal((await taskOf(next, run.taskId))?.cronRun, run.cronRun, 'adopted with its run');
        assert.equal((await taskOf(next, plain.taskId))?.cronRun, undefined);
        await next.kill([run.taskId]);
        await after.waitFor(run.taskId, 'KILLED', SETTLE_MS);
        assert.equal(after.forTask(run.taskId).at(-1)?.task.cronRun, run.cronRun, 'its end names the run');
      }));

    it('starts a task launched twice in one call, and again in the next, once', () =>
      withCluster(async ({ backend, cluster, events, start }) => {
        const launch = sleeper();
        await cluster.launch([launch, launch]);
        await events.waitFor(launch.taskId, 'RUNNING', SETTLE_MS);
        const first = await taskOf(cluster, launch.taskId);
        const seenBefore = events.forTask(launch.taskId).length;
        await start(launch);
        await cluster.launch([launch]);
        const again = await taskOf(cluster, launch.taskId);
        assert.deepEqual(
          [again?.state, again?.launchedAt],
          ['RUNNING', first!.launchedAt],
          'the same task, not started anew',
        );
        const later = events.forTask(launch.taskId).slice(seenBefore);
        assert.deepEqual(
          later.map((update) => update.task.state),
          [],
          'no update: nothing happened',
        );
        assert.equal(
          (await cluster.snapshot()).filter((task) => task.jobId === launch.jobId).length,
          1,
          'one task for the instance',
        );
        if (backend.starts) assert.equal(backend.starts(launch.taskId), 1, 'the machines started it once');
      }));

    it('ends a task killed twice, in one call and again once ended, once', () =>
      withCluster(async ({ cluster, events, start }) => {
        const launch = sleeper();
        await start(launch);
        await cluster.kill([launch.taskId, launch.taskId]);
        await cluster.kill([launch.taskId]);
        await events.waitFor(launch.taskId, 'KILLED', SETTLE_MS);
        await cluster.kill([launch.taskId]);
        const ends = events.forTask(launch.taskId).filter((update) => isTerminal(update.task.state));
        assert.deepEqual(
          ends.map((update) => update.task.state),
          ['KILLED'],
          events.history(launch.taskId),
        );
        assert.equal((await taskOf(cluster, launch.taskId))?.state, 'KILLED');
      }));

    it('does not bring a killed task back when its launch is repeated (a task id is used once)', () =>
      withCluster(async ({ cluster, events, start }) => {
        const launch = sleeper();
        await start(launch);
        await cluster.kill([launch.taskId]);
        await events.waitFor(launch.taskId, 'KILLED', SETTLE_MS);
        await cluster.launch([launch]);
        assert.equal((await taskOf(cluster, launch.taskId))?.state, 'KILLED');
        const after = events.forTask(launch.taskId).map((update) => update.task.state);
        assert.equal(after.at(-1), 'KILLED', events.history(launch.taskId));
        assert.equal(after.filter((state) => state === 'RUNNING').length, 1, events.history(launch.taskId));
      }));

    it('takes a kill of a task id it never launched as done', () =>
      withCluster(async ({ cluster }) => {
        const stranger = sleeper();
        await cluster.kill([stranger.taskId]);
        assert.equal(await taskOf(cluster, stranger.taskId), undefined);
      }));

    it('tells subscribers each change, in order, with the state before; an unsubscribed one hears nothing more', () =>
      withCluster(async ({ cluster, events, start }) => {
        const launch = sleeper();
        const early: string[] = [];
        const unsubscribe = cluster.subscribe((update) => early.push(update.task.state));
        await start(launch);
        unsubscribe();
        const heardBeforeKill = early.length;
        assert.ok(heardBeforeKill > 0, 'the unsubscribed listener heard the launch');
        await cluster.kill([launch.taskId]);
        await events.waitFor(launch.taskId, 'KILLED', SETTLE_MS);
        assert.equal(early.length, heardBeforeKill, 'nothing after unsubscribing');
        const updates = events.forTask(launch.taskId);
        const states = updates.map((update) => update.task.state);
        assert.ok(
          states.indexOf('RUNNING') < states.indexOf('KILLED') &&
            states.slice(0, states.indexOf('RUNNING')).every((state) => BEFORE_RUNNING.has(state)),
          states.join(' → '),
        );
        for (const [index, update] of updates.entries())
          if (index > 0 && update.previous !== undefined)
            assert.equal(update.previous, updates[index - 1]!.task.state, states.join(' → '));
        assert.equal(updates.at(-1)?.previous !== undefined, true, 'the end names the state it ended from');
      }));

    if (capabilities.sameSnapshotWhileUnchanged) {
      it('answers the same frozen snapshot while nothing changed, and a new one after a change', () =>
        withCluster(async ({ cluster, events, start }) => {
          const launch = sleeper();
          await start(launch);
          const before = await cluster.snapshot();
          assert.equal(await cluster.snapshot(), before, 'nothing changed: the same array');
          assert.ok(Object.isFrozen(before) && before.every((task) => Object.isFrozen(task)));
          await cluster.kill([launch.taskId]);
          await events.waitFor(launch.taskId, 'KILLED', SETTLE_MS);
          const after = await cluster.snapshot();
          assert.notEqual(after, before);
          assert.equal(before.find((task) => task.taskId === launch.taskId)?.state, 'RUNNING', 'unchanged');
        }));
    } else {
      it('answers a fresh snapshot each time, which a caller may keep', () =>
        withCluster(async ({ cluster, events, start }) => {
          const launch = sleeper();
          await start(launch);
          const before = await cluster.snapshot();
          await cluster.kill([launch.taskId]);
          await events.waitFor(launch.taskId, 'KILLED', SETTLE_MS);
          assert.equal(before.find((task) => task.taskId === launch.taskId)?.state, 'RUNNING', 'unchanged');
          assert.equal((await taskOf(cluster, launch.taskId))?.state, 'KILLED');
        }));
    }

    it('forgets an ended task, and keeps an active one it is asked to forget', () =>
      withCluster(async ({ cluster, events, start }) => {
        const [ended, active] = [sleeper(0), sleeper(1)];
        await start(ended);
        await start(active);
        await cluster.kill([ended.taskId]);
        await events.waitFor(ended.taskId, 'KILLED', SETTLE_MS);
        await cluster.forget([ended.taskId, active.taskId]);
        assert.equal(await taskOf(cluster, ended.taskId), undefined);
        assert.equal((await taskOf(cluster, active.taskId))?.state, 'RUNNING');
      }));

    it('leaves tasks running on close; a restarted Cluster adopts them, starts none again, and kills them', () =>
      withCluster(async ({ backend, cluster, events: before, start, restart }) => {
        const [kept, ended] = [sleeper(0), sleeper(1)];
        await start(kept);
        await start(ended);
        await cluster.kill([ended.taskId]);
        await before.waitFor(ended.taskId, 'KILLED', SETTLE_MS);
        const { cluster: next, events } = await restart();
        const seen = async (taskId: string) => (await taskOf(next, taskId))?.state;
        // A restarted scheduler may learn its tasks' states by asking the cluster: no
        // update announces that it has, so look until it does.
        await eventually(async () => (await seen(kept.taskId)) === 'RUNNING', SETTLE_MS, 'the task adopted');
        assert.equal(await seen(ended.taskId), 'KILLED', 'the ended one known as ended');
        await next.launch([kept, ended]);
        assert.deepEqual([await seen(kept.taskId), await seen(ended.taskId)], ['RUNNING', 'KILLED']);
        if (backend.starts) assert.equal(backend.starts(kept.taskId), 1, 'the machines started it once');
        await next.kill([kept.taskId]);
        await events.waitFor(kept.taskId, 'KILLED', SETTLE_MS);
        assert.equal((await taskOf(next, kept.taskId))?.killRequested, true);
        assert.deepEqual(
          before
            .forTask(kept.taskId)
            .filter((update) => update.task.state !== 'RUNNING' && !BEFORE_RUNNING.has(update.task.state)),
          [],
          'the closed Cluster told its subscribers nothing more',
        );
      }));
  });
}
