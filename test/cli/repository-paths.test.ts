/**
 * Commands find the repository as git does: from any directory inside it, with the state
 * at `<top>/.borealis`, never in the current directory; an undeclared --cluster is an error
 * everywhere. Real repository, real local cluster, the command as its own process.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { TempGitRepo } from '../support/git-repo.js';
import { LOCAL_CLUSTERS, sleeperJob } from '../support/jobs.js';
import { runBin } from '../support/run-cli.js';

describe('from a subdirectory of the repository', () => {
  let repo: TempGitRepo;
  let jobs: string;
  let deep: string;
  const inside = (args: string[], cwd = jobs) => runBin(args, { cwd });

  before(async () => {
    repo = new TempGitRepo('borealis-paths-');
    repo.commit('one job', { 'clusters.yaml': LOCAL_CLUSTERS, 'jobs/a.yaml': stringify(sleeperJob('a')) });
    jobs = join(repo.dir, 'jobs');
    deep = join(repo.dir, 'docs', 'notes');
    mkdirSync(deep, { recursive: true });
    const applied = await inside(['reconcile']);
    assert.equal(applied.code, 0, applied.stdout + applied.stderr);
  });

  after(async () => {
    await inside(['local', 'down']);
    repo.remove();
  });

  it('keeps the state at the top of the repository', () => {
    assert.ok(existsSync(join(repo.dir, '.borealis', 'store')), 'state at the top');
    assert.ok(!existsSync(join(jobs, '.borealis')), 'none where reconcile ran');
  });

  it('status shows what runs, and creates nothing where it runs', async () => {
    const status = await inside(['status'], deep);
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /^Applied commit [0-9a-f]{12}/);
    assert.match(status.stdout, /local\/www-data\/prod\/a .*1\/1 running/);
    assert.ok(!existsSync(join(deep, '.borealis')));
  });

  it('history lists the deployment', async () => {
    const history = await inside(['history'], deep);
    assert.equal(history.code, 0, history.stderr);
    assert.match(history.stdout, /succeeded +manual +Ada Author +one job/);
    assert.ok(!existsSync(join(deep, '.borealis')));
  });

  for (const command of [
    ['status'],
    ['plan', '--no-ask-leader'],
    ['reconcile'],
    ['logs', 'a/0'],
    ['local', 'down'],
  ]) {
    it(`${command.join(' ')} --cluster of an undeclared cluster is UNKNOWN_CLUSTER`, async () => {
      const run = await inside([...command, '--cluster', 'nosuch']);
      assert.equal(run.code, 1, run.stdout + run.stderr);
      assert.match(
        run.stderr,
        /^borealis: UNKNOWN_CLUSTER: no cluster named "nosuch" in clusters\.yaml \(declared: local\)\n/,
      );
    });
  }
});
