/**
 * Symbolic links in a job root: followed to a regular file inside the root, reported
 * (naming the link and its target) otherwise, and the same in a commit, a work tree and a
 * directory. Once every such link was skipped without a word (`valid: 0 jobs`).
 */
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, symlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DirectoryTree } from '../../src/source/dir-tree.js';
import { GitObjectReader } from '../../src/source/git-objects.js';
import { GitTree } from '../../src/source/git-tree.js';
import { withLinks } from '../../src/source/links.js';
import type { RepoTree } from '../../src/source/tree.js';
import { diffTrees } from '../../src/source/tree-diff.js';
import { uncommittedChanges, WorkingTree } from '../../src/source/working-tree.js';
import { loadTree } from '../../src/jobspec/load.js';
import { TempGitRepo } from '../support/git-repo.js';
import { jobYaml, LOCAL_CLUSTERS } from '../support/jobs.js';

describe('withLinks', () => {
  const files = new Map([
    ['jobs/a.yaml', 'id-a'],
    ['shared/b.yaml', 'id-b'],
    ['shared/deep/c.yaml', 'id-c'],
  ]);
  const cases: [string, string, string][] = [
    ['jobs/l.yaml', 'a.yaml', 'reads as jobs/a.yaml'],
    ['jobs/l.yaml', '../shared/b.yaml', 'reads as shared/b.yaml'],
    ['jobs/l.yaml', './../shared/./deep/../b.yaml', 'reads as shared/b.yaml'],
    [
      'jobs/l.yaml',
      '../../b.yaml',
      'symbolic link to "../../b.yaml" points outside the job root; only links to files inside it are followed',
    ],
    [
      'jobs/l.yaml',
      '/etc/passwd',
      'symbolic link to "/etc/passwd" is an absolute path; only links to files inside the job root are followed',
    ],
    ['jobs/l.yaml', 'gone.yaml', 'symbolic link to "gone.yaml" names no file in the job root'],
    [
      'jobs/l.yaml',
      '../shared/deep',
      'symbolic link to "../shared/deep" leads to a directory; only links to files are followed',
    ],
    ['jobs/l.yaml', '..', 'symbolic link to ".." leads to a directory; only links to files are followed'],
    ['jobs/l.yaml', 'l.yaml', 'symbolic link to "l.yaml" leads round a loop of links'],
    [
      'jobs/l.yaml',
      'x'.repeat(4097),
      'symbolic link to "' + 'x'.repeat(4097) + '" is longer than 4096 characters; it is not followed',
    ],
    [
      'jobs/sub',
      '../shared/deep',
      'symbolic link to "../shared/deep" leads to a directory; only links to files are followed',
    ],
    ['notes.txt', '/etc/passwd', 'ignored'],
    ['notes.txt', 'jobs/a.yaml', 'reads as jobs/a.yaml'],
  ];
  for (const [link, target, expected] of cases) {
    it(`${link} → ${target.slice(0, 40)}: ${expected.slice(0, 60)}`, () => {
      const { ids, entries } = withLinks(files, new Map([[link, target]]));
      const entry = entries.find((found) => found.path === link);
      const outcome = entry?.problem ?? (entry?.linkTo ? `reads as ${entry.linkTo}` : 'ignored');
      assert.equal(outcome, expected);
      if (entry?.linkTo)
        assert.equal(ids.get(link), files.get(entry.linkTo), 'the file id, for the spec cache');
    });
  }

  it('follows a chain of links, and names the link the chain breaks at', () => {
    const links = new Map([
      ['jobs/one.yaml', 'two.yaml'],
      ['jobs/two.yaml', '../shared/b.yaml'],
      ['jobs/three.yaml', 'four.yaml'],
      ['jobs/four.yaml', '../../out.yaml'],
    ]);
    const { entries } = withLinks(files, links);
    assert.equal(entries.find((entry) => entry.path === 'jobs/one.yaml')?.linkTo, 'shared/b.yaml');
    assert.equal(
      entries.find((entry) => entry.path === 'jobs/three.yaml')?.problem,
      'symbolic link to "four.yaml" points outside the job root (through "jobs/four.yaml"); only links to files inside it are followed',
    );
  });
});

describe('symbolic links in a commit, a work tree and a directory', () => {
  let repo: TempGitRepo;
  const BROKEN: Record<string, string> = {
    'jobs/absolute.yaml': '/etc/passwd',
    'jobs/dangling.yaml': 'missing.yaml',
    'jobs/dir.yaml': '../shared',
    'jobs/loop-a.yaml': 'loop-b.yaml',
    'jobs/loop-b.yaml': 'loop-a.yaml',
    'jobs/outside.yaml': '../../elsewhere/x.yaml',
  };
  const BROKEN_LINES = [
    'jobs/absolute.yaml:1:1: symbolic link to "/etc/passwd" is an absolute path; only links to files inside the job root are followed',
    'jobs/dangling.yaml:1:1: symbolic link to "missing.yaml" names no file in the job root',
    'jobs/dir.yaml:1:1: symbolic link to "../shared" leads to a directory; only links to files are followed',
    'jobs/loop-a.yaml:1:1: symbolic link to "loop-b.yaml" leads round a loop of links',
    'jobs/loop-b.yaml:1:1: symbolic link to "loop-a.yaml" leads round a loop of links',
    'jobs/outside.yaml:1:1: symbolic link to "../../elsewhere/x.yaml" points outside the job root; only links to files inside it are followed',
  ];
  const link = (links: Record<string, string>) => {
    for (const [path, target] of Object.entries(links)) {
      const full = join(repo.dir, 'deploy', path);
      mkdirSync(dirname(full), { recursive: true });
      symlinkSync(target, full);
    }
  };

  before(() => {
    repo = new TempGitRepo();
    repo.write({
      'deploy/clusters.yaml': LOCAL_CLUSTERS,
      'deploy/shared/web.yaml': jobYaml({ name: 'web' }),
      'deploy/shared/api.yaml': jobYaml({ name: 'api' }),
      'elsewhere/x.yaml': jobYaml({ name: 'x' }),
    });
    link({ 'jobs/web.yaml': '../shared/web.yaml', 'jobs/hop.yaml': '../shared/api-link.yaml' });
    link({ 'shared/api-link.yaml': 'api.yaml', 'notes.txt': '/etc/passwd', ...BROKEN });
    repo.commit('links');
    // Not committed: only the work tree and the directory see these.
    repo.write({ 'deploy/shared/extra.yaml': jobYaml({ name: 'extra' }) });
    link({ 'jobs/extra.yaml': '../shared/extra.yaml' });
  });
  after(() => repo.remove());

  const trees: [string, () => Promise<RepoTree>, string[]][] = [
    [
      'a commit (--ref)',
      () => Promise.resolve(new GitTree({ repo: repo.dir, ref: 'main', path: 'deploy' })),
      ['api', 'web'],
    ],
    [
      'the work tree',
      async () => new WorkingTree((await uncommittedChanges(repo.dir, 'deploy'))!),
      ['extra', 'api', 'web'],
    ],
    [
      'a directory (--path)',
      () => Promise.resolve(new DirectoryTree(join(repo.dir, 'deploy'))),
      ['extra', 'api', 'web'],
    ],
  ];
  for (const [name, open] of trees) {
    it(`${name}: follows links inside the job root and reports the others`, async () => {
      const tree = await open();
      try {
        const { repository } = await loadTree(tree);
        const lines = repository.problems.map((p) => `${p.file}:${p.line}:${p.column}: ${p.message}`);
        assert.deepEqual(lines, BROKEN_LINES);
        const listed = await tree.list();
        assert.equal(listed.find((entry) => entry.path === 'jobs/hop.yaml')?.linkTo, 'shared/api.yaml');
        const ids = new Map(listed.map((entry) => [entry.path, entry.id]));
        assert.equal(ids.get('jobs/web.yaml'), ids.get('shared/web.yaml'), 'a link has its file id');
        assert.equal(ids.has('notes.txt'), false, 'a link outside that is never read is left alone');
        const contents = await tree.read(['jobs/web.yaml', 'jobs/outside.yaml', 'jobs/absolute.yaml']);
        assert.deepEqual([...contents.keys()], ['jobs/web.yaml'], 'a broken link is never read');
        assert.equal(contents.get('jobs/web.yaml')!.toString(), jobYaml({ name: 'web' }));
      } finally {
        await tree.close();
      }
    });
  }

  it('each tree loads the jobs of the links it follows, under the link path', async () => {
    for (const [name, open, jobs] of trees) {
      const tree = await open();
      try {
        const listed = await tree.list();
        const clean = Object.keys(BROKEN);
        const { jobs: loaded } = await loadTree(filtered(tree, listed, clean)).then((r) => r.repository);
        assert.deepEqual(
          loaded.map((job) => `${job.key.name} ${job.file}`),
          jobs.map((job) => `${job} jobs/${job === 'api' ? 'hop' : job}.yaml`),
          name,
        );
      } finally {
        await tree.close();
      }
    }
  });

  it('a link changed, added or removed between commits takes a full load, as do changes to its file', async () => {
    const before = repo.git('rev-parse', 'main:deploy');
    for (const path of [...Object.keys(BROKEN), 'jobs/web.yaml']) rmSync(join(repo.dir, 'deploy', path));
    link({ 'jobs/web2.yaml': '../shared/web.yaml' });
    const commit = repo.commit('fewer links');
    const after = repo.git('rev-parse', `${commit}:deploy`);
    const reader = new GitObjectReader(repo.dir);
    try {
      const changes = await diffTrees(reader, undefined, before, after);
      assert.deepEqual(changes, [
        ...['absolute', 'dangling', 'dir', 'extra'].map((name) => ({ path: `jobs/${name}.yaml`, id: null })),
        ...['loop-a', 'loop-b', 'outside', 'web', 'web2'].map((name) => ({
          path: `jobs/${name}.yaml`,
          id: null,
        })),
        { path: 'shared/extra.yaml', id: repo.git('rev-parse', `${commit}:deploy/shared/extra.yaml`) },
      ]);
      const tree = new GitTree({ repo: repo.dir, ref: commit, path: 'deploy', reader });
      const { base } = await loadTree(tree);
      assert.ok(base, 'the commit loads clean');
      assert.deepEqual([...base.templates].sort(), [
        'shared/api.yaml',
        'shared/extra.yaml',
        'shared/web.yaml',
      ]);
    } finally {
      await reader.close();
    }
  });
});

/** `tree` without the given paths, as if they were never there. */
function filtered(
  tree: RepoTree,
  listed: Awaited<ReturnType<RepoTree['list']>>,
  without: string[],
): RepoTree {
  return {
    description: tree.description,
    list: () => Promise.resolve(listed.filter((entry) => !without.includes(entry.path))),
    read: (paths) => tree.read(paths),
    readWithin: (paths, budget) => tree.readWithin(paths, budget),
    close: () => Promise.resolve(),
  };
}
