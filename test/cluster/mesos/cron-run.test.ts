/**
 * A cron run's tasks on Mesos keep their run through a master failover (the driver
 * re-subscribes to the next leader and reconciles), through a restarted driver (its task
 * records) and through the operator API's view (the `borealis.cron_run` label).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { MesosCluster, recordedFrameworkId } from '../../../src/cluster/mesos/cluster.js';
import { OperatorClient } from '../../../src/cluster/mesos/operator-client.js';
import { OperatorCluster } from '../../../src/cluster/mesos/operator-cluster.js';
import type { Cluster, ObservedTask } from '../../../src/cluster/types.js';
import { FileStateStore } from '../../../src/state/file/file-store.js';
import { buildLaunch, processConfig } from '../../support/launch-builder.js';
import { agents, MesosEnsemble, QUICK_TIMINGS, ROOMY_AGENT } from '../../support/mesos-master/index.js';
import { eventually, UpdateRecorder } from '../../support/waiting.js';

const RUN = 'schedule-20261208T0100Z';
const SETTLE_MS = 20_000;

const launch = (instance: number, cronRun?: string) => ({
  ...buildLaunch({ name: 'backup', instance, processes: [processConfig('main', 'exec sleep 1000')] }),
  ...(cronRun === undefined ? {} : { cronRun }),
});

describe('a cron run’s tasks on Mesos', () => {
  let ensemble: MesosEnsemble;
  let stateDir: string;
  let store: FileStateStore;
  const opened: Cluster[] = [];

  const open = async () => {
    const cluster = new MesosCluster({
      masters: ensemble.urls,
      framework: { user: 'root', roles: ['test'] },
      store,
      log: () => undefined,
      missedHeartbeats: 5,
    });
    opened.push(cluster);
    await cluster.start();
    return cluster;
  };
  const runOf = async (cluster: Cluster, taskId: string): Promise<ObservedTask | undefined> =>
    (await cluster.snapshot()).find((task) => task.taskId === taskId);

  before(async () => {
    ensemble = await MesosEnsemble.start(2, { agents: agents(3, ROOMY_AGENT), ...QUICK_TIMINGS });
    stateDir = mkdtempSync(join(tmpdir(), 'borealis-mesos-cron-'));
    store = await FileStateStore.open(stateDir);
  });
  after(async () => {
    for (const cluster of opened) await cluster.close();
    await ensemble.close();
    await store.close();
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('keeps the run through a master failover, a driver restart and the operator API', async () => {
    const cluster = await open();
    const events = new UpdateRecorder(cluster);
    const [run, plain] = [launch(0, RUN), launch(1)];
    await cluster.launch([run, plain]);
    await events.waitFor(run.taskId, 'RUNNING', SETTLE_MS);
    await events.waitFor(plain.taskId, 'RUNNING', SETTLE_MS);

    // The masters share one call list: look only at the calls after the failover.
    const from = ensemble.leader.calls.length;
    const since = (type: string) =>
      ensemble.leader.calls.slice(from).filter((call) => call.type === type && call.status < 300);
    await ensemble.failover();
    await eventually(
      () => since('SUBSCRIBE').length > 0 && since('RECONCILE').length > 0,
      SETTLE_MS,
      'the driver subscribed to the new leader and reconciled',
    );
    await cluster.kill([run.taskId]);
    await events.waitFor(run.taskId, 'KILLED', SETTLE_MS);
    assert.equal(
      events.forTask(run.taskId).at(-1)?.task.cronRun,
      RUN,
      'the end after failover names the run',
    );
    assert.equal((await runOf(cluster, plain.taskId))?.cronRun, undefined);
    events.stop();
    await cluster.close();

    const restarted = await open();
    assert.deepEqual(
      [(await runOf(restarted, run.taskId))?.cronRun, (await runOf(restarted, plain.taskId))?.cronRun],
      [RUN, undefined],
      'read back from the task records',
    );

    const operator = new OperatorCluster({
      client: () => Promise.resolve(new OperatorClient({ masters: ensemble.urls })),
      frameworkId: () => recordedFrameworkId(store),
    });
    const seen = new Map((await operator.snapshot()).map((task) => [task.taskId, task.cronRun]));
    assert.deepEqual(
      [seen.get(run.taskId), seen.get(plain.taskId)],
      [RUN, undefined],
      'read from the labels',
    );
    assert.ok(seen.has(plain.taskId), 'the plain task is listed too');
  });
});
