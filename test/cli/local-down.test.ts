/**
 * `borealis local down` stops the tasks it found and returns, even while something (a
 * running `watch`) relaunches every instance the moment it ends.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { LocalCluster } from '../../src/cluster/local/cluster.js';
import { type TaskLaunch } from '../../src/cluster/types.js';
import { DeployEnv } from '../support/deploy-env.js';
import { buildLaunch, processConfig } from '../support/launch-builder.js';
import { sleeperJob } from '../support/jobs.js';
import { killProcessesMentioning } from '../support/process-table.js';
import { UpdateRecorder, withTimeout } from '../support/waiting.js';

describe('local down', () => {
  let env: DeployEnv;
  let cluster: LocalCluster;
  const launch = (): TaskLaunch => buildLaunch({ processes: [processConfig('main', 'exec sleep 1000')] });

  before(() => {
    env = new DeployEnv();
    env.commitJobs('clusters.yaml for the CLI', [sleeperJob('unused')]);
    cluster = new LocalCluster({ root: join(env.state, 'sandboxes') });
  });
  after(async () => {
    await cluster.close();
    killProcessesMentioning(env.state);
    await env.cleanup();
  });

  it('returns once the tasks it killed have ended, though each is relaunched at once', async () => {
    const events = new UpdateRecorder(cluster);
    const first = launch();
    await cluster.launch([first]);
    await events.waitFor(first.taskId, 'RUNNING');
    // As a running daemon does, only sooner: the instance is launched again as it is killed.
    const relaunched: string[] = [];
    const unsubscribe = cluster.subscribe((update) => {
      if (update.task.state !== 'KILLING' || relaunched.length > 0) return;
      const next = launch();
      relaunched.push(next.taskId);
      void cluster.launch([next]);
    });

    const down = await withTimeout(env.cli('local', 'down'), 60_000, '`local down` to return');
    unsubscribe();
    assert.equal(down.code, 0, down.stderr);
    assert.equal(down.stdout, 'Stopped 1 task.\n');
    const [replacement] = relaunched;
    assert.ok(replacement, 'the killed task was relaunched while `local down` waited');
    await events.waitFor(replacement, 'RUNNING');
    const states = new Map((await cluster.snapshot()).map((task) => [task.taskId, task.state]));
    assert.equal(states.get(first.taskId), 'KILLED');
  });
});
