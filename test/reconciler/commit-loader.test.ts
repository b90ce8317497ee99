/**
 * Loading a commit from the last one: whatever a commit changes, the loader gives exactly
 * what a full, uncached load of that commit gives (jobs, and problems with their places).
 * A commit that only edits job files reads those files and never lists the tree, and the
 * jobs it did not change are the very objects of the last load.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CommitLoader } from '../../src/reconciler/commit-loader.js';
import { GitTree } from '../../src/source/git-tree.js';
import { MemoryTree } from '../../src/source/memory-tree.js';
import { TrackedSource } from '../../src/source/tracked.js';
import { loadChanged, loadRepository, loadTree } from '../../src/jobspec/load.js';
import { SpecCache } from '../../src/jobspec/spec-cache.js';
import type { LoadedRepository } from '../../src/jobspec/types.js';
import { TempGitRepo } from '../support/git-repo.js';
import { jobYaml, LOCAL_CLUSTERS } from '../support/jobs.js';
import { RecordingTree } from '../support/recording-tree.js';

const TEMPLATE = 'templates/base.yaml';
const template = (ram: string) =>
  `cluster: local\nrole: www-data\nenvironment: prod\nservice: true\ntask:\n  resources:\n    cpu: 0.1\n    ram: ${ram}\n    disk: 16MiB\n`;
const extending = (name: string) =>
  `extends: ../templates/base.yaml\nname: ${name}\ntask:\n  processes:\n    - name: main\n      cmdline: sleep 1\n`;
const START = {
  'clusters.yaml': LOCAL_CLUSTERS,
  [TEMPLATE]: template('32MiB'),
  'jobs/a.yaml': jobYaml({ name: 'a', instances: 2 }),
  'jobs/b.yaml': extending('b'),
  'jobs/team/c.yaml': jobYaml({ name: 'c' }),
};

/** Each step's files are written (null removes one) and committed. */
const STEPS: { name: string; files: Record<string, string | null> }[] = [
  { name: 'an edit of one job', files: { 'jobs/a.yaml': jobYaml({ name: 'a', instances: 3 }) } },
  { name: 'an edit of a template', files: { [TEMPLATE]: template('64MiB') } },
  { name: 'a job added', files: { 'jobs/team/d.yaml': jobYaml({ name: 'd' }) } },
  { name: 'a job removed', files: { 'jobs/team/d.yaml': null } },
  { name: 'a job made invalid', files: { 'jobs/a.yaml': jobYaml({ name: 'a', instances: 'many' }) } },
  { name: 'the job mended', files: { 'jobs/a.yaml': jobYaml({ name: 'a', instances: 4 }) } },
  { name: 'a key declared twice', files: { 'jobs/team/c.yaml': jobYaml({ name: 'a' }) } },
  { name: 'the key made unique again', files: { 'jobs/team/c.yaml': jobYaml({ name: 'c2' }) } },
  {
    name: 'an unknown cluster',
    files: { 'jobs/b.yaml': extending('b').replace('name: b', 'name: b\ncluster: moon') },
  },
  {
    name: 'a job that starts extending',
    files: { 'jobs/b.yaml': extending('b'), 'jobs/team/c.yaml': `extends: ../a.yaml\nname: c\n` },
  },
  {
    name: 'an edit of a job another extends',
    files: { 'jobs/a.yaml': jobYaml({ name: 'a', instances: 5 }) },
  },
  {
    name: 'clusters.yaml changed',
    files: { 'clusters.yaml': `${LOCAL_CLUSTERS}  - name: other\n    type: local\n` },
  },
];

describe('CommitLoader', () => {
  const repo = new TempGitRepo();
  const commits: { name: string; id: string }[] = [];
  before(() => {
    commits.push({ name: 'the first commit', id: repo.commit('start', START) });
    for (const step of STEPS) {
      const removed = Object.entries(step.files).filter(([, content]) => content === null);
      for (const [path] of removed) repo.git('rm', '-q', path);
      const written = Object.entries(step.files).filter(([, content]) => content !== null);
      commits.push({
        name: step.name,
        id: repo.commit(step.name, Object.fromEntries(written) as Record<string, string>),
      });
    }
  });
  after(() => repo.remove());

  it('gives, commit after commit, exactly what a full load of each commit gives', async () => {
    const source = await TrackedSource.open({ repo: repo.dir, path: '', stateDir: repo.dir });
    const loader = new CommitLoader(source, { cache: new SpecCache('test') });
    try {
      for (const { name, id } of commits) {
        const loaded = await loader.load(id);
        const tree = new GitTree({ repo: repo.dir, ref: id });
        const expected = await loadRepository(tree).finally(() => tree.close());
        assert.deepEqual(loaded, expected, name);
      }
    } finally {
      await source.close();
    }
  });

  it('problems of a partial load are those of a full load, with file, line and column', async () => {
    const source = await TrackedSource.open({ repo: repo.dir, path: '', stateDir: repo.dir });
    const loader = new CommitLoader(source, { cache: new SpecCache('test') });
    try {
      const invalid = commits.findIndex((commit) => commit.name === 'a job made invalid');
      await loader.load(commits[invalid - 1]!.id);
      const { problems } = await loader.load(commits[invalid]!.id);
      assert.equal(problems.length > 0, true);
      assert.equal(problems[0]!.file, 'jobs/a.yaml');
      assert.equal(typeof problems[0]!.line, 'number');
    } finally {
      await source.close();
    }
  });

  it('keeps the unchanged jobs of the last load as the same objects', async () => {
    const source = await TrackedSource.open({ repo: repo.dir, path: '', stateDir: repo.dir });
    const loader = new CommitLoader(source); // no spec cache: identity can come only from the last load
    try {
      const first = await loader.load(commits[0]!.id);
      const second = await loader.load(commits[1]!.id);
      const byId = (loaded: LoadedRepository) => new Map(loaded.jobs.map((job) => [job.id, job]));
      const [before, after] = [byId(first), byId(second)];
      for (const [id, job] of after) {
        if (job.file === 'jobs/a.yaml') assert.notEqual(job, before.get(id), id);
        else assert.equal(job, before.get(id), id);
      }
    } finally {
      await source.close();
    }
  });
});

describe('loadChanged', () => {
  it('reads only the edited job file, and never lists the tree', async () => {
    const { base } = await loadTree(new MemoryTree(START));
    assert.ok(base);
    const edited = { ...START, 'jobs/a.yaml': jobYaml({ name: 'a', instances: 3 }) };
    const tree = new RecordingTree(edited, { listable: false });
    const loaded = await loadChanged(base, [{ path: 'jobs/a.yaml', id: 'new-id' }], () => tree);
    assert.ok(loaded);
    assert.deepEqual(tree.reads, ['jobs/a.yaml']);
    assert.deepEqual(loaded.repository, await loadRepository(new MemoryTree(edited)));
  });

  it('leaves to a full load what it cannot answer exactly', async () => {
    const { base } = await loadTree(new MemoryTree(START));
    assert.ok(base);
    const open = () => new RecordingTree(START, { listable: false });
    const cases = [
      { path: TEMPLATE, id: 'x' }, // a template: every job extending it changes
      { path: 'clusters.yaml', id: 'x' },
      { path: 'jobs/new.yaml', id: 'x' }, // added
      { path: 'jobs/a.yaml', id: null }, // removed
    ];
    for (const change of cases) assert.equal(await loadChanged(base, [change], open), undefined, change.path);
  });
});
