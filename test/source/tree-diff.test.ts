/**
 * The tree diff: the files it reports changed are exactly those `git diff` names, with
 * their new blob ids (null when removed), for edits, additions, removals, whole
 * directories appearing and going, a file becoming a directory, and under a job root.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TrackedSource } from '../../src/source/tracked.js';
import type { FileChange } from '../../src/source/tree-diff.js';
import { TempGitRepo } from '../support/git-repo.js';

/** What git itself says changed between two commits under `root`, as FileChanges. */
function gitSays(repo: TempGitRepo, from: string, to: string, root: string): FileChange[] {
  const out = repo.git('diff', '--no-renames', '--name-status', '-r', from, to, '--', root || '.');
  const prefix = root ? `${root}/` : '';
  return out
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [status, path] = line.split('\t') as [string, string];
      const id = status === 'D' ? null : repo.git('rev-parse', `${to}:${path}`);
      return { path: path.slice(prefix.length), id };
    })
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

describe('TrackedSource.changedFiles', () => {
  const repo = new TempGitRepo();
  const commits: string[] = [];
  before(() => {
    commits.push(
      repo.commit('start', {
        'deploy/jobs/a.yaml': 'a: 1\n',
        'deploy/jobs/team/b.yaml': 'b: 1\n',
        'deploy/jobs/team/c.yaml': 'c: 1\n',
        'deploy/clusters.yaml': 'clusters: []\n',
        'README.md': 'outside the root\n',
      }),
    );
    commits.push(repo.commit('edit one', { 'deploy/jobs/team/b.yaml': 'b: 2\n' }));
    commits.push(
      repo.commit('add a directory', {
        'deploy/jobs/new/d.yaml': 'd: 1\n',
        'deploy/jobs/new/e.yaml': 'e: 1\n',
      }),
    );
    repo.git('rm', '-q', '-r', 'deploy/jobs/team');
    commits.push(repo.commit('remove a directory'));
    repo.git('rm', '-q', 'deploy/jobs/a.yaml');
    commits.push(repo.commit('a file becomes a directory', { 'deploy/jobs/a.yaml/f.yaml': 'f: 1\n' }));
    commits.push(repo.commit('outside the root only', { 'README.md': 'changed\n' }));
  });
  after(() => repo.remove());

  for (const root of ['', 'deploy']) {
    it(`names what git diff names, for every pair of commits (root "${root}")`, async () => {
      const source = await TrackedSource.open({ repo: repo.dir, path: root, stateDir: repo.dir });
      try {
        let pairs = 0;
        for (const from of commits)
          for (const to of commits) {
            const changes = await source.changedFiles(from, to);
            assert.deepEqual(changes, gitSays(repo, from, to, root), `${from}..${to}`);
            pairs++;
          }
        assert.equal(pairs, commits.length ** 2);
      } finally {
        await source.close();
      }
    });
  }

  it('is undefined where a commit has no job root', async () => {
    const source = await TrackedSource.open({ repo: repo.dir, path: 'nowhere', stateDir: repo.dir });
    try {
      assert.equal(await source.changedFiles(commits[0]!, commits[1]!), undefined);
    } finally {
      await source.close();
    }
  });
});
