import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { GitTree } from '../../src/source/git-tree.js';
import { loadRepository } from '../../src/jobspec/load.js';
import { TempGitRepo } from '../support/git-repo.js';
import { jobYaml, LOCAL_CLUSTERS } from '../support/jobs.js';
import { runCli } from '../support/run-cli.js';

describe('GitTree', () => {
  let repo: TempGitRepo;
  let first: string;

  before(() => {
    repo = new TempGitRepo();
    first = repo.commit('first', {
      'deploy/clusters.yaml': LOCAL_CLUSTERS,
      'deploy/jobs/a.yaml': jobYaml({ name: 'a' }),
      'deploy/jobs/nested/deeper/b.yml': jobYaml({ name: 'b' }),
      'deploy/README.md': 'not a job',
      'elsewhere/jobs/c.yaml': jobYaml({ name: 'c' }),
    });
  });
  after(() => repo.remove());

  it('lists the files under the job root of the commit, with blob ids', async () => {
    const tree = new GitTree({ repo: repo.dir, ref: 'main', path: 'deploy' });
    try {
      const entries = await tree.list();
      assert.deepEqual(entries.map((e) => e.path).sort(), [
        'README.md',
        'clusters.yaml',
        'jobs/a.yaml',
        'jobs/nested/deeper/b.yml',
      ]);
      const blob = repo.git('rev-parse', `${first}:deploy/jobs/a.yaml`);
      assert.equal(entries.find((e) => e.path === 'jobs/a.yaml')?.id, blob);
      assert.equal(await tree.commit(), first);
    } finally {
      await tree.close();
    }
  });

  it('reads the commit, not the working tree: a dirty checkout changes nothing', async () => {
    repo.write({
      'deploy/jobs/a.yaml': 'this: [is broken',
      'deploy/jobs/new.yaml': jobYaml({ name: 'new' }),
    });
    const tree = new GitTree({ repo: repo.dir, ref: 'HEAD', path: 'deploy' });
    try {
      const loaded = await loadRepository(tree);
      assert.deepEqual(loaded.problems, []);
      assert.deepEqual(loaded.jobs.map((job) => job.key.name).sort(), ['a', 'b']);
    } finally {
      await tree.close();
      repo.git('checkout', '-q', '--', '.');
      repo.git('clean', '-qfd');
    }
  });

  it('reads an older commit exactly as it was', async () => {
    const second = repo.commit('second', { 'deploy/jobs/a.yaml': jobYaml({ name: 'a', instances: 5 }) });
    const read = async (ref: string) => {
      const tree = new GitTree({ repo: repo.dir, ref, path: 'deploy' });
      try {
        return (await loadRepository(tree)).jobs.find((job) => job.key.name === 'a')?.config.instances;
      } finally {
        await tree.close();
      }
    };
    assert.equal(await read(first), 1);
    assert.equal(await read(second), 5);
  });

  it('rejects an unknown ref and a missing job root with a clear error', async () => {
    const unknown = new GitTree({ repo: repo.dir, ref: 'no-such-branch' });
    await assert.rejects(unknown.list(), /no-such-branch: no such commit/);
    await unknown.close();
    const missing = new GitTree({ repo: repo.dir, ref: 'main', path: 'nope' });
    await assert.rejects(missing.list(), /no directory nope/);
    await missing.close();
  });
});

describe('GitTree at scale', () => {
  const JOBS = 10_000;
  let repo: TempGitRepo;
  let shimDir: string;

  before(() => {
    repo = new TempGitRepo();
    const files: Record<string, string> = { 'clusters.yaml': LOCAL_CLUSTERS };
    for (let i = 0; i < JOBS; i++) files[`jobs/team${i % 50}/job${i}.yaml`] = jobYaml({ name: `job${i}` });
    repo.commit('ten thousand jobs', files);
    shimDir = mkdtempSync(join(tmpdir(), 'git-shim-'));
  });
  after(() => {
    repo.remove();
    rmSync(shimDir, { recursive: true, force: true });
  });

  it('reads 10,000 job files of a commit with one git process', async () => {
    const log = join(shimDir, 'invocations.log');
    const realGit = repo.git('--exec-path');
    writeFileSync(log, '');
    writeFileSync(join(shimDir, 'git'), `#!/bin/sh\necho "$*" >> '${log}'\nexec '${realGit}/git' "$@"\n`);
    chmodSync(join(shimDir, 'git'), 0o755);
    const originalPath = process.env.PATH;
    process.env.PATH = `${shimDir}${delimiter}${originalPath}`;
    const tree = new GitTree({ repo: repo.dir, ref: 'main' });
    try {
      const loaded = await loadRepository(tree);
      assert.equal(loaded.problems.length, 0);
      assert.equal(loaded.jobs.length, JOBS);
    } finally {
      await tree.close();
      process.env.PATH = originalPath;
    }
    const invocations = readFileSync(log, 'utf8').trim().split('\n');
    assert.deepEqual(invocations, ['cat-file --batch']);
  });
});

describe('borealis validate --ref', () => {
  let repo: TempGitRepo;

  before(() => {
    repo = new TempGitRepo();
    repo.commit('valid', {
      'deploy/clusters.yaml': LOCAL_CLUSTERS,
      'deploy/jobs/a.yaml': jobYaml({ name: 'a' }),
    });
  });
  after(() => repo.remove());

  it('validates the commit, whatever the working tree holds', async () => {
    repo.write({ 'deploy/jobs/a.yaml': 'instances: [broken' });
    const dir = join(repo.dir, 'deploy');
    const onDisk = await runCli(['validate', dir]);
    assert.equal(onDisk.code, 1, 'the dirty working tree is invalid');
    const atHead = await runCli(['validate', dir, '--ref', 'HEAD']);
    assert.equal(atHead.code, 0, atHead.stdout);
    assert.match(atHead.stdout, /valid: 1 job/);
  });
});
