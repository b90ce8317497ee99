/**
 * A launcher killed between writing a sandbox and starting its supervisor leaves a task
 * no process runs. Launching the same task id again completes it, and however many
 * supervisors are started for one sandbox, exactly one runs the task.
 */
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createSandbox, startSupervisor } from '../../../src/cluster/local/launcher.js';
import { sandboxPaths } from '../../../src/cluster/local/sandbox-layout.js';
import { buildLaunch, processConfig } from '../../support/launch-builder.js';
import { localClusterFixture, type LocalClusterFixture } from '../../support/local-cluster-fixture.js';
import { processesMentioning } from '../../support/process-table.js';

describe('half-launched tasks', () => {
  let fixture: LocalClusterFixture;

  before(async () => {
    fixture = await localClusterFixture();
  });
  after(() => fixture.cleanup());

  it('a retried launch starts the supervisor a crashed launcher never started', async () => {
    const launch = buildLaunch({ processes: [processConfig('main', 'exec sleep 1000')] });
    const paths = sandboxPaths(join(fixture.root, launch.taskId));
    await createSandbox(paths, { launch, ports: {}, hostname: 'test-host', launchedAt: Date.now() });
    await fixture.cluster.launch([launch]);
    await fixture.events.waitFor(launch.taskId, 'RUNNING');
  });

  it('a launcher killed between the task file and the status file leaves a task still seen and completed', async () => {
    const launch = buildLaunch({ processes: [processConfig('main', 'exec sleep 1000')] });
    const paths = sandboxPaths(join(fixture.root, launch.taskId));
    await createSandbox(paths, { launch, ports: {}, hostname: 'test-host', launchedAt: Date.now() });
    await rm(paths.status);
    const [seen] = (await fixture.cluster.snapshot()).filter((t) => t.taskId === launch.taskId);
    assert.equal(seen?.state, 'STARTING', 'the task is observed, so nothing waits for it forever');
    await fixture.cluster.launch([launch]);
    await fixture.events.waitFor(launch.taskId, 'RUNNING');
  });

  it('runs one supervisor however many are started for a sandbox', async () => {
    const launch = buildLaunch({ processes: [processConfig('main', 'exec sleep 1000')] });
    const paths = sandboxPaths(join(fixture.root, launch.taskId));
    await createSandbox(paths, { launch, ports: {}, hostname: 'test-host', launchedAt: Date.now() });
    const identity = { root: fixture.cluster.root, taskId: launch.taskId };
    const spawned = await Promise.all([
      startSupervisor(paths, identity, false),
      startSupervisor(paths, identity, false),
      startSupervisor(paths, identity, false),
    ]);
    await fixture.events.waitFor(launch.taskId, 'RUNNING');
    const sleepers = processesMentioning(launch.taskId).filter((p) => /sleep 1000/.test(p.cmdline));
    assert.equal(sleepers.length, 1, `one task process, not one per supervisor (${spawned.length} started)`);
  });
});
