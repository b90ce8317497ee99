/**
 * A resync judges drift and plans from one view of the tasks. A task that appears between
 * two reads (here: right after the first) would otherwise be killed as surplus by the plan
 * without the drift look ever having seen it: an unexpected task gone with no word said.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { MemoryCluster } from '../../src/cluster/memory/memory-cluster.js';
import type { ObservedTask, TaskLaunch } from '../../src/cluster/types.js';
import type { NotificationEvent } from '../../src/notify/events.js';
import { Daemon } from '../../src/reconciler/daemon.js';
import { TrackedSource } from '../../src/source/tracked.js';
import { DeploymentLog } from '../../src/state/deployments.js';
import { Records } from '../../src/state/records.js';
import { sleeperJob } from '../support/jobs.js';
import { buildLaunch, processConfig } from '../support/launch-builder.js';
import { MemoryEnv } from '../support/memory-env.js';
import { withTimeout } from '../support/waiting.js';

const WEB = 'local/www-data/prod/web';

/** Launches `stray` just after the first snapshot it answers once armed. */
class StrayAfterRead extends MemoryCluster {
  stray: TaskLaunch | undefined;

  override async snapshot(): Promise<readonly ObservedTask[]> {
    const seen = await super.snapshot();
    const stray = this.stray;
    this.stray = undefined;
    if (stray) await this.launch([stray]);
    return seen;
  }
}

describe('a resync reads the tasks once', () => {
  let env: MemoryEnv;
  let daemon: Daemon;
  let cluster: StrayAfterRead;
  const told: NotificationEvent[] = [];
  const logs: string[] = [];

  before(async () => {
    env = new MemoryEnv();
    const commit = env.commitJobs('web', [sleeperJob('web')]);
    cluster = new StrayAfterRead(env.machines);
    const records = new Records(await env.openStore());
    daemon = new Daemon(
      {
        source: await TrackedSource.open({
          repo: env.repo.dir,
          path: '',
          stateDir: env.state,
          branch: 'main',
        }),
        clusterName: 'local',
        cluster,
        records,
        deployments: new DeploymentLog(records.store),
        log: (line) => logs.push(line),
        notify: (event) => told.push(event),
      },
      {
        pollMs: 60_000,
        resyncMs: 60_000,
        drift: { flapThreshold: 3, flapWindowMs: 600_000, settleMs: 0, stuckAfterMs: 900_000 },
      },
    );
    await daemon.start();
    await withTimeout(
      (async () => {
        while ((await new DeploymentLog(records.store).find(commit))?.outcome !== 'succeeded')
          await daemon.nextPass();
      })(),
      30_000,
      () => `the first deployment; log:\n${logs.join('\n')}`,
    );
  });
  after(async () => {
    await daemon.stop();
    await env.cleanup();
  });

  it('a task that appears between two reads is reported unexpected before it is killed', async () => {
    const stray = {
      ...buildLaunch({ name: 'web', processes: [processConfig('main', 'exec sleep 1000')] }),
      jobId: WEB,
      key: { cluster: 'local', role: 'www-data', environment: 'prod', name: 'web' },
      instance: 7,
    };
    cluster.stray = stray;
    await withTimeout(
      (async () => {
        while (env.machines.get(stray.taskId)?.state !== 'KILLED') {
          const next = daemon.nextPass();
          daemon.trigger('resync');
          await next;
          await env.machines.idle();
        }
      })(),
      30_000,
      () => `the stray killed; log:\n${logs.join('\n')}`,
    );
    const drift = told.filter((event) => event.type === 'drift' && event.id === `unexpected:${WEB}/7`);
    assert.deepEqual(
      drift.map((event) => event.type === 'drift' && event.status),
      ['opened'],
      `the stray was reported before it was killed; told: ${JSON.stringify(told.map((e) => e.type))}`,
    );
  });
});
