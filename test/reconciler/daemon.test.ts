/**
 * GitOps: real Git repositories and the real daemon, on the in-memory cluster and state
 * store (what runs where is not the subject here; the local cluster's own tests and the
 * CLI end-to-end tests cover real processes). Every commit that reaches the reconciler
 * gets a record; invalid commits apply nothing.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startDaemon, type RunningDaemon } from '../support/daemon-env.js';
import { stringify } from 'yaml';
import { sleeperJob } from '../support/jobs.js';
import { MemoryEnv } from '../support/memory-env.js';

const job = (name: string, fields: Record<string, unknown> = {}) => sleeperJob(name, fields);

describe('watch daemon on a local repository', () => {
  let env: MemoryEnv;
  let running: RunningDaemon;

  before(async () => {
    env = new MemoryEnv();
    env.commitJobs('first job', [job('a')]);
    running = await startDaemon(env);
  });
  after(async () => {
    await running.stop();
    await env.cleanup();
  });

  it('applies the branch head at start and records it with author and message', async () => {
    const head = env.repo.git('rev-parse', 'HEAD');
    const record = await running.recordOf(head);
    assert.equal(record.outcome, 'succeeded');
    assert.equal(record.author.name, 'Ada Author');
    assert.equal(record.committer.name, 'Cy Committer');
    assert.equal(record.message, 'first job');
    assert.equal(record.trigger, 'manual');
    // Planning took its time between opening the record and finishing it.
    const [opened, planned, finished] = [record.started_at, record.planned_at!, record.finished_at!].map(
      Date.parse,
    );
    assert.ok(opened! <= planned! && planned! <= finished!, JSON.stringify(record));
    assert.deepEqual(
      record.jobs.map((j) => [j.job, j.action, j.result]),
      [['local/www-data/prod/a', 'create', 'succeeded']],
    );
    assert.equal((await env.liveTasks('a')).length, 1);
  });

  it('picks up a new commit through the watched refs and records it', async () => {
    const commit = env.commitJobs('add b', [job('a'), job('b')]);
    const record = await running.recordOf(commit);
    assert.equal(record.outcome, 'succeeded');
    assert.equal(record.trigger, 'watch');
    assert.deepEqual(
      record.plan!.changes.map((c) => [c.job, c.action]),
      [['local/www-data/prod/b', 'create']],
      'the record lists what changes; the unchanged job is only counted',
    );
    assert.equal(record.plan!.summary.noop, 1);
    assert.equal(record.message, 'add b');
    assert.equal((await env.liveTasks('b')).length, 1);
  });

  it('rejects an invalid commit with its errors and changes nothing; a revert deploys again', async () => {
    const before = (await env.liveTasks()).map((t) => t.taskId).sort();
    const broken = env.repo.commit('break a', { 'jobs/a.yaml': stringify(job('a', { instances: 'lots' })) });
    const rejected = await running.recordOf(broken);
    assert.equal(rejected.outcome, 'rejected');
    assert.deepEqual(
      rejected.errors.map((e) => [e.file, e.path, e.message]),
      [['jobs/a.yaml', 'instances', 'must be a whole number (got "lots")']],
    );
    assert.deepEqual((await env.liveTasks()).map((t) => t.taskId).sort(), before, 'nothing was applied');
    env.repo.git('revert', '--no-edit', 'HEAD');
    const revert = env.repo.git('rev-parse', 'HEAD');
    const record = await running.recordOf(revert);
    assert.ok(record.outcome === 'noop' || record.outcome === 'succeeded', record.outcome);
    assert.equal(record.parent_applied, rejected.parent_applied, 'the rejected commit was never applied');
  });

  it('deploys only the newest of three commits that land together and records the others as superseded', async () => {
    env.repo.git('checkout', '-q', '-b', 'work');
    const c1 = env.commitJobs('c1', [job('a'), job('b'), job('c')]);
    const c2 = env.commitJobs('c2', [job('a'), job('b'), job('c'), job('d')]);
    const c3 = env.commitJobs('c3', [job('a'), job('b'), job('c'), job('d'), job('e')]);
    env.repo.git('checkout', '-q', 'main');
    env.repo.git('merge', '-q', '--ff-only', 'work');
    const newest = await running.recordOf(c3);
    assert.equal(newest.outcome, 'succeeded');
    for (const skipped of [c1, c2]) {
      const record = await running.recordOf(skipped);
      assert.equal(record.outcome, 'superseded');
      assert.equal(record.superseded_by, c3);
    }
    const all = await running.deployments.list(100);
    assert.equal(all.filter((r) => [c1, c2, c3].includes(r.commit)).length, 3, 'one record per commit');
    assert.equal((await env.liveTasks('e')).length, 1);
  });

  it('heals an instance killed by hand without any commit', async () => {
    const [victim] = await env.liveTasks('a');
    await env.killByHand(victim!.taskId);
    await running.until(
      async () =>
        (await env.liveTasks('a')).some((t) => t.taskId !== victim!.taskId && t.state === 'RUNNING'),
      'instance a/0 relaunched',
    );
  });
});

describe('watch daemon with a job root inside the repository', () => {
  let env: MemoryEnv;
  let running: RunningDaemon;

  before(async () => {
    env = new MemoryEnv();
    env.repo.commit('jobs under deploy/', {
      'deploy/clusters.yaml': 'clusters:\n  - name: local\n    type: local\n',
      'deploy/jobs/a.yaml': stringify(job('a')),
      'README.md': 'docs',
    });
    running = await startDaemon(env, {}, env.repo.dir, 'deploy');
    assert.equal((await running.recordOf(env.repo.git('rev-parse', 'HEAD'))).outcome, 'succeeded');
  });
  after(async () => {
    await running.stop();
    await env.cleanup();
  });

  it('records a commit that touches nothing under the job root as noop, and applies it', async () => {
    const docs = env.repo.commit('docs only', { 'README.md': 'more docs' });
    const record = await running.recordOf(docs);
    assert.equal(record.outcome, 'noop');
    assert.equal(record.reason, 'PATH_UNCHANGED');
    assert.match(record.detail ?? '', /nothing under deploy changed/);
    assert.equal((await running.records.applied())?.commit, docs);
  });
});
