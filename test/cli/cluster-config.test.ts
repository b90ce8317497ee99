/**
 * Which backend a reading command (`status`, `logs`, `local down`) looks at comes from
 * clusters.yaml at the branch head, and is never guessed: only when there is nothing to
 * read (no repository, no commit yet, no clusters.yaml) is the local cluster the default.
 * A repository Git cannot read, an invalid clusters.yaml or a job root that is not there
 * is one error line. Real repositories, damaged on disk as a failing disk would.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { deployClusterConfig, headClusterConfig } from '../../src/cli/compose/cluster-config.js';
import type { GlobalOptions } from '../../src/cli/global-options.js';
import { BorealisError } from '../../src/errors.js';
import { TrackedSource } from '../../src/source/tracked.js';
import { TempGitRepo } from '../support/git-repo.js';
import { runCli } from '../support/run-cli.js';

const WEST = stringify({
  clusters: [{ name: 'west', type: 'mesos', master: 'http://127.0.0.1:1', role: 'prod', user: 'root' }],
});

const made: { remove(): void }[] = [];
after(() => made.forEach((thing) => thing.remove()));

function repoWith(files: Record<string, string> | undefined): TempGitRepo {
  const repo = new TempGitRepo('borealis-cluster-config-');
  made.push(repo);
  if (files) repo.commit('clusters', files);
  return repo;
}

function options(repo: string, extra: Partial<GlobalOptions> = {}): GlobalOptions {
  return { repo, path: '', cluster: 'west', state: join(repo, '.borealis'), ...extra };
}

/** Deletes the stored blob of `path` at HEAD: Git lists the file, and cannot give its contents. */
function loseBlob(repo: TempGitRepo, path: string): void {
  const id = repo.git('rev-parse', `HEAD:${path}`);
  rmSync(join(repo.dir, '.git', 'objects', id.slice(0, 2), id.slice(2)));
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof BorealisError) return error.code;
    throw error;
  }
  return 'none';
}

describe('the cluster entry at the branch head', () => {
  it('is the declared entry', async () => {
    const config = await headClusterConfig(options(repoWith({ 'clusters.yaml': WEST }).dir));
    assert.equal(config?.type, 'mesos');
  });

  describe('falls back to the local cluster only when there is nothing to read', () => {
    it('no repository', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'borealis-no-repo-'));
      made.push({ remove: () => rmSync(dir, { recursive: true, force: true }) });
      assert.equal(await headClusterConfig(options(dir)), undefined);
    });

    it('no commit yet on the branch checked out', async () => {
      const repo = repoWith(undefined);
      assert.equal(await headClusterConfig(options(repo.dir)), undefined);
      assert.equal(await headClusterConfig(options(repo.dir, { branch: 'main' })), undefined);
    });

    it('no clusters.yaml at the job root', async () => {
      const repo = repoWith({ 'jobs/README': 'no clusters here\n' });
      assert.equal(await headClusterConfig(options(repo.dir)), undefined);
    });
  });

  describe('is an error, never a guess, when the repository cannot say', () => {
    it('a clusters.yaml Git cannot read is SOURCE_UNREADABLE', async () => {
      const repo = repoWith({ 'clusters.yaml': WEST });
      loseBlob(repo, 'clusters.yaml');
      assert.equal(await codeOf(headClusterConfig(options(repo.dir))), 'SOURCE_UNREADABLE');
    });

    it('a tree Git cannot read is SOURCE_UNREADABLE', async () => {
      const repo = repoWith({ 'clusters.yaml': WEST, 'jobs/a.yaml': 'a: 1\n' });
      loseBlob(repo, 'jobs'); // the job root's directory listing
      assert.equal(await codeOf(headClusterConfig(options(repo.dir))), 'SOURCE_UNREADABLE');
    });

    it('a repository whose .git Git cannot open is SOURCE_UNREADABLE', async () => {
      const repo = repoWith({ 'clusters.yaml': WEST });
      writeFileSync(join(repo.dir, '.git', 'HEAD'), 'garbage\n');
      assert.equal(await codeOf(headClusterConfig(options(repo.dir))), 'SOURCE_UNREADABLE');
    });

    it('a --repo that does not exist is NOT_A_GIT_REPOSITORY', async () => {
      const missing = join(tmpdir(), 'borealis-no-such-repo', String(process.pid));
      assert.equal(await codeOf(headClusterConfig(options(missing))), 'NOT_A_GIT_REPOSITORY');
    });

    it('an invalid clusters.yaml is CLUSTERS_INVALID', async () => {
      const repo = repoWith({
        'clusters.yaml': 'clusters:\n  - name: west\n    type: mesos\n    master: [\n',
      });
      assert.equal(await codeOf(headClusterConfig(options(repo.dir))), 'CLUSTERS_INVALID');
    });

    it('a --path that is not in the commit is NO_SUCH_PATH', async () => {
      const repo = repoWith({ 'clusters.yaml': WEST });
      assert.equal(await codeOf(headClusterConfig(options(repo.dir, { path: 'nosuch' }))), 'NO_SUCH_PATH');
    });

    it('a --branch that names no commit is NO_SUCH_COMMIT', async () => {
      const repo = repoWith({ 'clusters.yaml': WEST });
      assert.equal(
        await codeOf(headClusterConfig(options(repo.dir, { branch: 'nosuch' }))),
        'NO_SUCH_COMMIT',
      );
    });

    it('a detached HEAD without --branch is NO_BRANCH', async () => {
      const repo = repoWith({ 'clusters.yaml': WEST });
      repo.git('checkout', '-q', '--detach');
      assert.equal(await codeOf(headClusterConfig(options(repo.dir))), 'NO_BRANCH');
    });
  });

  it('status on an unreadable clusters.yaml says so in one line, and shows no local cluster', async () => {
    const repo = repoWith({ 'clusters.yaml': WEST });
    loseBlob(repo, 'clusters.yaml');
    const run = await runCli(['--repo', repo.dir, '--cluster', 'west', 'status']);
    assert.equal(run.code, 1, run.stdout + run.stderr);
    assert.equal(run.stdout, '');
    const [first, hint, ...rest] = run.stderr.trimEnd().split('\n');
    assert.match(first!, /^borealis: SOURCE_UNREADABLE: cannot read clusters\.yaml at main: /);
    assert.match(hint!, /^hint: /);
    assert.deepEqual(rest, []);
  });
});

describe('the cluster entry reconcile and watch open their backend with', () => {
  const BROKEN = 'clusters:\n  - name: west\n    type: mesos\n    master: [\n';

  async function entryFor(repo: TempGitRepo, applied: string | undefined) {
    const source = await TrackedSource.open({
      repo: repo.dir,
      path: '',
      stateDir: join(repo.dir, '.borealis'),
    });
    try {
      return await deployClusterConfig(source, () => Promise.resolve(applied), { cluster: 'west' });
    } finally {
      await source.close();
    }
  }

  it("is the head's when its clusters.yaml is valid", async () => {
    const repo = repoWith({ 'clusters.yaml': WEST });
    assert.equal((await entryFor(repo, undefined))?.type, 'mesos');
  });

  it('is the applied commit’s when the head’s clusters.yaml is invalid: never the local cluster by default', async () => {
    const repo = repoWith({ 'clusters.yaml': WEST });
    const applied = repo.git('rev-parse', 'HEAD');
    repo.commit('break clusters.yaml', { 'clusters.yaml': BROKEN });
    const entry = await entryFor(repo, applied);
    assert.equal(entry?.type, 'mesos');
    assert.equal(entry?.name, 'west');
  });

  it('is CLUSTERS_INVALID, naming the place, when the head’s is invalid and nothing was applied', async () => {
    const repo = repoWith({ 'clusters.yaml': BROKEN });
    const error = await entryFor(repo, undefined).then(
      () => assert.fail('an entry was guessed'),
      (caught: unknown) => caught,
    );
    assert.ok(error instanceof BorealisError);
    assert.equal(error.code, 'CLUSTERS_INVALID');
    assert.match(
      error.message,
      /^clusters\.yaml at the branch head [0-9a-f]{12} is invalid: clusters\.yaml:\d+:\d+: /,
    );
  });

  it('is undefined (the local cluster) when there is no clusters.yaml at all', async () => {
    const repo = repoWith({ 'jobs/.keep': '' });
    assert.equal(await entryFor(repo, undefined), undefined);
  });
});
