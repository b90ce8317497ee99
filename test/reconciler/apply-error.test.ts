/**
 * Issue 22, item 5: an error of the environment (a store or cluster out of reach) that stops
 * a rollout half-way is written into the deployment record — reason APPLY_ERROR, the error in
 * one line, the events so far — and the record stays open, so the next pass, or a restarted
 * daemon, resumes the deployment and ends it with the whole story. The error is injected by
 * the failpoint seam at the rollout's first reported step. Real Git, the real local cluster,
 * the real daemon.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { FAILPOINT_ENV } from '../../src/reconciler/failpoint.js';
import type { DeploymentRecord } from '../../src/state/deployments.js';
import { DeployEnv } from '../support/deploy-env.js';
import { startDaemon, type RunningDaemon } from '../support/daemon-env.js';
import { sleeperJob } from '../support/jobs.js';

const web = (version: string) =>
  sleeperJob(
    'web',
    { instances: 2, update_config: { batch_size: 1, watch_secs: 0 } },
    `echo ${version}; exec sleep 1000`,
  );

describe('an error that stops applying', () => {
  let env: DeployEnv;
  let running: RunningDaemon;
  before(async () => {
    env = new DeployEnv();
    const first = env.commitJobs('v1', [web('v1')]);
    running = await startDaemon(env);
    assert.equal((await running.recordOf(first)).outcome, 'succeeded');
  });
  afterEach(() => {
    delete process.env[FAILPOINT_ENV];
  });
  after(async () => {
    await running.stop();
    await env.cleanup();
  });

  /** Lands a commit whose rollout fails on its first step with a connection reset. */
  function landFailing(version: string): string {
    env.repo.git('checkout', '-q', '-b', version);
    const commit = env.commitJobs(version, [web(version)]);
    env.repo.git('checkout', '-q', 'main');
    process.env[FAILPOINT_ENV] = `rollout:unreachable:${commit}`;
    env.repo.git('merge', '-q', '--ff-only', version);
    return commit;
  }

  async function stoppedRecord(commit: string): Promise<DeploymentRecord> {
    let found: DeploymentRecord | null = null;
    await running.until(
      async () => {
        found = await running.deployments.find(commit);
        return found?.reason === 'APPLY_ERROR';
      },
      `the record of ${commit.slice(0, 12)} stopped by the error`,
    );
    return found!;
  }

  function assertStopped(record: DeploymentRecord): void {
    assert.equal(record.outcome, 'in_progress', 'open, to be resumed');
    assert.equal(record.finished_at, null);
    assert.equal(record.attempt, undefined, 'an orderly stop: no reconciler died in it');
    assert.equal(record.error?.code, 'ECONNRESET');
    assert.match(record.error?.message ?? '', /^BOREALIS_FAILPOINT: injected fault while rollout \w+$/);
    assert.match(
      record.detail ?? '',
      /^applying stopped on an error: .*injected fault.*; the next pass resumes it$/,
    );
    const [job] = record.jobs;
    assert.equal(job?.job, 'local/www-data/prod/web');
    assert.equal(job?.result, 'pending');
    assert.ok(job.events.length > 0, 'the events so far are kept');
  }

  /** The resumed deployment's record: finished, the same record, its first events those written at the error. */
  async function assertResumed(commit: string, stopped: DeploymentRecord): Promise<void> {
    const record = await running.recordOf(commit, 60_000);
    assert.equal(record.outcome, 'succeeded', record.detail);
    assert.equal(record.sequence, stopped.sequence, 'the open record was finished, not a second one written');
    assert.equal(record.reason, undefined);
    assert.equal(record.detail, undefined);
    assert.equal(record.error, undefined);
    const events = record.jobs[0]!.events;
    assert.deepEqual(events.slice(0, stopped.jobs[0]!.events.length), stopped.jobs[0]!.events);
    assert.ok(events.some((event) => event.event === 'ROLLOUT_FINISHED'));
    assert.ok((await env.liveTasks('web')).every((task) => task.commit === commit));
  }

  it('is written into the record with the events so far; the next pass resumes it', async () => {
    const commit = landFailing('v2');
    const stopped = await stoppedRecord(commit);
    assertStopped(stopped);
    // The record is written before the error reaches the daemon's loop, which logs it.
    await running.until(
      () =>
        Promise.resolve(running.logs.some((line) => /pass failed .*injected fault while rollout/.test(line))),
      'the failed pass in the log',
    );
    delete process.env[FAILPOINT_ENV];
    running.daemon.trigger('manual');
    await assertResumed(commit, stopped);
  });

  it('leaves a record a restarted daemon resumes', async () => {
    const commit = landFailing('v3');
    const stopped = await stoppedRecord(commit);
    assertStopped(stopped);
    await running.stop();
    delete process.env[FAILPOINT_ENV];
    running = await startDaemon(env);
    await assertResumed(commit, stopped);
  });
});
