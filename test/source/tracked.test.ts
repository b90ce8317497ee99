import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { commitFromShow, SHOW_FORMAT } from '../../src/source/commit-object.js';
import { TrackedSource, type CommitInfo } from '../../src/source/tracked.js';
import { TempGitRepo } from '../support/git-repo.js';
import { SigningLab } from '../support/signing.js';

/** What `git show` says of a commit: the answer the source's own parser must give. */
function shownByGit(git: (...args: string[]) => string, id: string): CommitInfo {
  return commitFromShow(git('show', '-s', `--format=${SHOW_FORMAT}`, id));
}

describe('TrackedSource', () => {
  let repo: TempGitRepo;
  let source: TrackedSource;
  let first: string;
  let outside: string;
  let inside: string;

  before(async () => {
    repo = new TempGitRepo();
    first = repo.commit('first', { 'deploy/jobs/a.yaml': 'a: 1\n', 'docs/x.md': 'x' });
    outside = repo.commit('docs only', { 'docs/x.md': 'y' });
    inside = repo.commit('a job', { 'deploy/jobs/a.yaml': 'a: 2\n' });
    source = await TrackedSource.open({ repo: repo.dir, path: 'deploy', stateDir: repo.dir });
  });
  after(async () => {
    await source.close();
    repo.remove();
  });

  it('reads commits as git show prints them: offsets, merges, long messages, other encodings', async () => {
    repo.git('checkout', '-q', '-b', 'side', first);
    const side = repo.commit('side');
    repo.git('checkout', '-q', 'main');
    repo.git('merge', '-q', '--no-ff', '-m', 'merge side\n\nwith a body  \n\n', side);
    const merge = repo.git('rev-parse', 'HEAD');
    process.env.GIT_COMMITTER_DATE = '2026-01-02T03:04:05-0730';
    const offset = repo.commit('  west of UTC\n\n  indented body\n');
    delete process.env.GIT_COMMITTER_DATE;
    repo.git('config', 'i18n.commitEncoding', 'ISO-8859-1');
    const latin = repo.commit('caf\u00e9');
    repo.git('config', '--unset', 'i18n.commitEncoding');
    for (const id of [first, merge, offset, latin])
      assert.deepEqual(await source.commit(id), shownByGit(repo.git.bind(repo), id));
    assert.equal((await source.commit(merge)).parents.length, 2);
  });

  it('reads a signed commit past its signature header', async () => {
    const lab = new SigningLab();
    try {
      const signed = lab.commit('signed by ada\n\nline two', { ssh: lab.sshKey('ada') });
      const labSource = await TrackedSource.open({ repo: lab.repo, path: '', stateDir: lab.repo });
      try {
        assert.deepEqual(await labSource.commit(signed), shownByGit(lab.git.bind(lab), signed));
      } finally {
        await labSource.close();
      }
    } finally {
      lab.remove();
    }
  });

  it('sees the branch move at once, in loose and packed refs, through one long-lived git', async () => {
    const head = repo.git('rev-parse', 'main');
    assert.equal(await source.head(), head);
    repo.git('update-ref', 'refs/heads/main', first);
    assert.equal(await source.head(), first);
    repo.git('pack-refs', '--all');
    repo.git('update-ref', 'refs/heads/main', head);
    repo.git('pack-refs', '--all');
    assert.equal(await source.head(), head);
    const next = repo.commit('written after the reader started');
    assert.equal(await source.head(), next);
  });

  it('names a missing branch', async () => {
    const other = await TrackedSource.open({ repo: repo.dir, branch: 'gone', path: '', stateDir: repo.dir });
    try {
      await assert.rejects(other.head(), /no branch gone/);
    } finally {
      await other.close();
    }
  });

  it('lists new commits newest first, one on top of the last without a rev-list', async () => {
    assert.deepEqual(await source.commitsSince(outside, inside), [inside]);
    assert.deepEqual(await source.commitsSince(first, inside), [inside, outside]);
    assert.deepEqual(await source.commitsSince(inside, inside), []);
    assert.deepEqual(await source.commitsSince(null, inside), [inside]);
    const unknown = '0123456789abcdef0123456789abcdef01234567';
    assert.deepEqual(await source.commitsSince(unknown, outside), [outside, first]);
  });

  it('tells whether a range touched the job root', async () => {
    assert.equal(await source.touchesJobRoot(first, outside), false);
    assert.equal(await source.touchesJobRoot(outside, inside), true);
    assert.equal(await source.touchesJobRoot('0123456789abcdef0123456789abcdef01234567', inside), true);
    const elsewhere = await TrackedSource.open({ repo: repo.dir, path: 'docs', stateDir: repo.dir });
    try {
      assert.equal(await elsewhere.touchesJobRoot(first, outside), true);
      const noRoot = await TrackedSource.open({ repo: repo.dir, path: 'nowhere', stateDir: repo.dir });
      assert.equal(await noRoot.touchesJobRoot(first, inside), false);
      await noRoot.close();
    } finally {
      await elsewhere.close();
    }
  });

  it('an idle source left open does not keep a command from exiting', () => {
    const module = fileURLToPath(new URL('../../src/source/tracked.js', import.meta.url));
    const script = `const { TrackedSource } = await import(${JSON.stringify(module)});
      const source = await TrackedSource.open({ repo: ${JSON.stringify(repo.dir)}, path: '', stateDir: '.' });
      console.log(await source.head());`;
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      encoding: 'utf8',
      timeout: 20_000,
    });
    assert.equal(run.signal, null, 'the process had to be killed');
    assert.equal(run.status, 0, run.stderr);
    assert.equal(run.stdout.trim(), repo.git('rev-parse', 'main'));
  });
});
