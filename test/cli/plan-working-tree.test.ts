import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { GitTree } from '../../src/source/git-tree.js';
import { uncommittedChanges, WorkingTree } from '../../src/source/working-tree.js';
import { DeployEnv } from '../support/deploy-env.js';
import { sleeperJob } from '../support/jobs.js';

const job = (name: string, greeting = 'hello') => sleeperJob(name, { env: { GREETING: greeting } });
const yaml = (value: Record<string, unknown>) => stringify(value);

describe('plan previews the uncommitted working tree', () => {
  let env: DeployEnv;
  let applied: string;

  before(async () => {
    env = new DeployEnv();
    applied = env.commitJobs('two jobs', [job('a'), job('b')]);
    const first = await env.cli('reconcile');
    assert.equal(first.code, 0, first.stdout + first.stderr);
  });
  after(() => env.cleanup());

  /** Puts the work tree back to the commit, whatever a test changed. */
  const restore = () => {
    env.repo.git('reset', '-q', '--hard');
    env.repo.git('clean', '-qfdx');
  };

  it('plans a modified job file, naming it, in text, Markdown and JSON', async () => {
    env.repo.write({ 'jobs/a.yaml': yaml(job('a', 'hello again')) });
    try {
      const text = await env.cli('plan', '--detailed-exitcode');
      assert.equal(text.code, 2, text.stdout + text.stderr);
      assert.match(
        text.stdout,
        /^Borealis plan for the working tree on cluster local \(uncommitted: jobs\/a\.yaml\)$/m,
      );
      assert.match(
        text.stdout,
        new RegExp(`changes are to commit ${applied.slice(0, 12)}; commit them to deploy`),
      );
      assert.match(text.stdout, /-\/\+ local\/www-data\/prod\/a: restart 1 instance \[0\]/);
      assert.match(text.stdout, /env\.GREETING: "hello" → "hello again"/);

      const markdown = await env.cli('plan', '-o', 'markdown');
      assert.match(
        markdown.stdout,
        /^### Borealis plan for the working tree on cluster `local` \(uncommitted: jobs\/a\.yaml\)$/m,
      );

      const json = JSON.parse((await env.cli('plan', '-o', 'json')).stdout) as Record<string, unknown>;
      assert.deepEqual(json.source, {
        kind: 'working_tree',
        base_commit: applied,
        changed_files: ['jobs/a.yaml'],
      });
      assert.equal(json.commit, applied);
    } finally {
      restore();
    }
  });

  it('--ref plans the commit, and a working-tree plan leaves no trace in the cached specs', async () => {
    env.repo.write({ 'jobs/a.yaml': yaml(job('a', 'hello again')) });
    try {
      assert.equal((await env.cli('plan', '--detailed-exitcode')).code, 2);
      const committed = await env.cli('plan', '--ref', 'main', '--detailed-exitcode');
      assert.equal(committed.code, 0, committed.stdout);
      assert.match(committed.stdout, new RegExp(`^Borealis plan for commit ${applied.slice(0, 12)} `));
      assert.match(env.repo.git('status', '--porcelain'), /^M jobs\/a\.yaml$/, 'the work tree is untouched');
    } finally {
      restore();
    }
    const clean = await env.cli('plan', '--detailed-exitcode');
    assert.equal(clean.code, 0, clean.stdout);
    assert.match(
      clean.stdout,
      /^Borealis plan for commit .*\n\nNo changes: the cluster matches the commit\./,
    );
  });

  it('plans untracked and deleted files, and leaves out ignored ones and files outside the job root', async () => {
    env.repo.write({
      'jobs/c.yaml': yaml(job('c')),
      'jobs/ignored.yaml': yaml(job('ignored')),
      '.gitignore': 'jobs/ignored.yaml\n',
    });
    rmSync(join(env.repo.dir, 'jobs/b.yaml'));
    try {
      const run = await env.cli('plan');
      assert.equal(run.code, 0, run.stdout + run.stderr);
      assert.match(run.stdout, /\(uncommitted: jobs\/b\.yaml, jobs\/c\.yaml\)/);
      assert.match(run.stdout, /^ {2}\+ local\/www-data\/prod\/c: create 1 instance \[0\]$/m);
      assert.match(run.stdout, /^ {2}- local\/www-data\/prod\/b: kill/m);
      assert.doesNotMatch(run.stdout, /ignored/);
    } finally {
      restore();
    }
  });

  it('changes outside the job root, or to files no job reads, leave the plan to the commit', async () => {
    env.repo.write({ 'jobs/a.yaml': yaml(job('a', 'hello again')), 'NOTES.md': 'not a job\n' });
    try {
      assert.equal(await uncommittedChanges(env.repo.dir, 'elsewhere'), undefined);
      assert.deepEqual((await uncommittedChanges(env.repo.dir, ''))?.changedFiles, ['jobs/a.yaml']);
      env.repo.git('checkout', '--', 'jobs/a.yaml');
      const run = await env.cli('plan');
      assert.match(run.stdout, /^Borealis plan for commit /);
    } finally {
      restore();
    }
  });

  it('--branch naming a branch not checked out plans that branch head', async () => {
    env.repo.git('branch', 'other');
    env.repo.write({ 'jobs/a.yaml': yaml(job('a', 'hello again')) });
    try {
      const run = await env.cli('--branch', 'other', 'plan');
      assert.equal(run.code, 0, run.stdout + run.stderr);
      assert.match(run.stdout, new RegExp(`^Borealis plan for commit ${applied.slice(0, 12)} `));
      assert.match((await env.cli('--branch', 'main', 'plan')).stdout, /working tree/);
    } finally {
      restore();
      env.repo.git('branch', '-D', 'other');
    }
  });

  it('an invalid working tree is reported as such, and reconcile applies only the commit', async () => {
    env.repo.write({ 'jobs/a.yaml': 'name: [unclosed' });
    try {
      const plan = await env.cli('plan');
      assert.equal(plan.code, 1);
      assert.match(plan.stdout, /^jobs\/a\.yaml:1:7: invalid YAML/m);
      assert.match(plan.stdout, /the working tree \(\w+\): 1 problem; nothing may be applied from it/);
      const reconcile = await env.cli('reconcile');
      assert.equal(reconcile.code, 0, reconcile.stdout + reconcile.stderr);
      assert.match(
        reconcile.stderr,
        /not applying uncommitted changes \(jobs\/a\.yaml\); reconcile applies commits only/,
      );
      assert.match(reconcile.stdout, new RegExp(`commit ${applied.slice(0, 12)}`));
    } finally {
      restore();
    }
  });

  it('a working-tree file has the blob id its commit will give it', async () => {
    env.repo.write({ 'jobs/a.yaml': yaml(job('a', 'hello again')), 'jobs/d.yaml': yaml(job('d')) });
    try {
      const changes = await uncommittedChanges(env.repo.dir, '');
      assert.ok(changes);
      const working = await new WorkingTree(changes).list();
      env.repo.git('add', '-A');
      env.repo.git('commit', '-qm', 'the same files');
      const committed = new GitTree({ repo: env.repo.dir, ref: 'HEAD' });
      try {
        assert.deepEqual(working, await committed.list());
      } finally {
        await committed.close();
      }
    } finally {
      env.repo.git('reset', '-q', '--hard', applied);
      restore();
    }
  });
});
