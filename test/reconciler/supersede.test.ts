/**
 * A newer commit supersedes an in-flight rolling update at the next batch boundary, and a
 * daemon stopped mid-update leaves its deployment open and resumes it on the next start.
 * The real daemon on the in-memory cluster and state store, which outlive each daemon.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { readDeployment, startDaemon, type RunningDaemon } from '../support/daemon-env.js';
import { sleeperJob } from '../support/jobs.js';
import { MemoryEnv } from '../support/memory-env.js';
import { eventually } from '../support/waiting.js';

const slow = (version: string) =>
  sleeperJob(
    'slow',
    { instances: 3, update_config: { batch_size: 1, watch_secs: 2 } },
    `echo ${version}; exec sleep 1000`,
  );

describe('superseding and stopping the daemon mid-update', () => {
  let env: MemoryEnv;
  let running: RunningDaemon;

  before(async () => {
    env = new MemoryEnv();
    const first = env.commitJobs('v1', [slow('v1')]);
    running = await startDaemon(env);
    assert.equal((await running.recordOf(first)).outcome, 'succeeded');
  });
  after(async () => {
    await running.stop();
    await env.cleanup();
  });

  it('stops an update at a batch boundary when a newer commit lands, then deploys the newer one', async () => {
    const v2 = env.commitJobs('v2', [slow('v2')]);
    // Nothing announces "the update is under way" to a test, so look at the cluster.
    await eventually(
      async () => (await env.liveTasks('slow')).some((t) => t.commit === v2),
      30_000,
      'a v2 instance running',
      100,
    );
    const v3 = env.commitJobs('v3', [slow('v3')]);
    const superseded = await running.recordOf(v2, 60_000);
    assert.equal(superseded.outcome, 'superseded');
    const updated = superseded.jobs[0]!.events.filter((e) => e.event === 'INSTANCE_UPDATED').length;
    assert.ok(updated < 3, `v2 was stopped before finishing (${updated} of 3 instances updated)`);
    const newest = await running.recordOf(v3, 60_000);
    assert.equal(newest.outcome, 'succeeded');
    const live = await env.liveTasks('slow');
    assert.equal(live.length, 3);
    assert.ok(live.every((t) => t.commit === v3));
  });

  it('a daemon stopped mid-update leaves the record open and completes the same record after a restart', async () => {
    const v4 = env.commitJobs('v4', [slow('v4')]);
    await eventually(
      async () => (await env.liveTasks('slow')).some((t) => t.commit === v4),
      30_000,
      'a v4 instance running',
      100,
    );
    await running.stop();
    const open = await readDeployment(env, v4);
    assert.equal(open?.outcome, 'in_progress');
    running = await startDaemon(env);
    const done = await running.recordOf(v4, 60_000);
    assert.equal(done.outcome, 'succeeded');
    assert.equal(done.sequence, open.sequence, 'the same record was completed, not a second one written');
    const records = (await running.deployments.list(100)).filter((r) => r.commit === v4);
    assert.equal(records.length, 1);
    assert.ok((await env.liveTasks('slow')).every((t) => t.commit === v4));
  });
});
