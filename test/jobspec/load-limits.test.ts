/**
 * What loading one commit may cost: each limit just under (loads) and just over (a problem
 * naming the file, the size or count, and the limit; nothing applied). Inputs are just
 * over each limit, never huge.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GitTree } from '../../src/source/git-tree.js';
import { MemoryTree } from '../../src/source/memory-tree.js';
import { resolveTemplatePath } from '../../src/jobspec/extends.js';
import {
  MAX_DOCUMENT_VALUES,
  MAX_EXTENDS_DEPTH,
  MAX_EXTENDS_LENGTH,
  MAX_FILE_TOKENS,
  MAX_PROBLEMS_PER_COMMIT,
  MAX_PROBLEMS_PER_FILE,
  type LoadLimits,
} from '../../src/jobspec/limits.js';
import { loadRepository } from '../../src/jobspec/load.js';
import type { Problem } from '../../src/jobspec/types.js';
import { TempGitRepo } from '../support/git-repo.js';
import { jobYaml, LOCAL_CLUSTERS } from '../support/jobs.js';

const job = (name: string) => jobYaml({ name });
const limits = (maxFileBytes: number, maxCommitBytes = 2 ** 30): LoadLimits => ({
  maxFileBytes,
  maxCommitBytes,
});
const load = (files: Record<string, string>, given?: LoadLimits) =>
  loadRepository(new MemoryTree({ 'clusters.yaml': LOCAL_CLUSTERS, ...files }), { limits: given });
const lines = (problems: readonly Problem[]) =>
  problems.map((p) => `${p.file}:${p.line}:${p.column}: ${p.path ? `${p.path}: ` : ''}${p.message}`);

describe('the size of a file', () => {
  const text = job('a');
  const bytes = Buffer.byteLength(text);
  const overFile = `jobs/a.yaml:1:1: this file is ${bytes} B, more than the limit of ${bytes - 1} B per file (--max-file-size); it was not read`;

  for (const [name, maxFileBytes, expected] of [
    ['at the limit', bytes, []],
    ['one byte over', bytes - 1, [overFile]],
  ] as const) {
    it(`${name}: ${expected.length === 0 ? 'loads' : 'is a problem naming the file, its size and the limit'}`, async () => {
      const repository = await load({ 'jobs/a.yaml': text }, limits(maxFileBytes));
      assert.deepEqual(lines(repository.problems), expected);
      assert.equal(repository.jobs.length, expected.length === 0 ? 1 : 0);
    });
  }

  it('is checked in a commit before the blob is read (git cat-file gives its size)', async () => {
    const repo = new TempGitRepo('borealis-limits-');
    try {
      repo.commit('one job', { 'clusters.yaml': LOCAL_CLUSTERS, 'jobs/a.yaml': text });
      const tree = new GitTree({ repo: repo.dir, ref: 'HEAD' });
      const found = await tree.readWithin(['jobs/a.yaml', 'clusters.yaml'], {
        maxEach: bytes - 1,
        remaining: 1e9,
      });
      await tree.close();
      assert.deepEqual([...found.tooLarge], [['jobs/a.yaml', bytes]]);
      assert.deepEqual([...found.blobs.keys()], ['clusters.yaml']);
      const repository = await loadRepository(new GitTree({ repo: repo.dir, ref: 'HEAD' }), {
        limits: limits(bytes - 1),
      });
      assert.deepEqual(lines(repository.problems), [overFile]);
    } finally {
      repo.remove();
    }
  });

  it('bounds a template: the job extending it is invalid, the template says why', async () => {
    const extending = `extends: ../templates/t.yaml\n${job('a')}`;
    const template = `# ${'x'.repeat(Buffer.byteLength(extending))}\ncontact: a@b\n`;
    const repository = await load(
      { 'jobs/a.yaml': extending, 'templates/t.yaml': template },
      limits(Buffer.byteLength(extending)),
    );
    const limit = Buffer.byteLength(extending);
    assert.deepEqual(lines(repository.problems), [
      'jobs/a.yaml:1:10: extends: template "templates/t.yaml" is invalid (its own errors are listed for that file)',
      `templates/t.yaml:1:1: this file is ${Buffer.byteLength(template)} B, more than the limit of ${limit} B per file (--max-file-size); it was not read`,
    ]);
  });
});

describe('the size of a commit', () => {
  const files = { 'jobs/a.yaml': job('a'), 'jobs/b.yaml': job('b') };
  const total = Buffer.byteLength(files['jobs/a.yaml']) + Buffer.byteLength(files['jobs/b.yaml']);

  it('at the limit: loads', async () => {
    const repository = await load(files, limits(2 ** 20, total));
    assert.deepEqual(lines(repository.problems), []);
    assert.equal(repository.jobs.length, 2);
  });

  it('one byte over: one problem on the first file past it, with the total and the limit', async () => {
    const repository = await load(files, limits(2 ** 20, total - 1));
    assert.ok(total < 1024);
    assert.deepEqual(lines(repository.problems), [
      `jobs/b.yaml:1:1: the commit's job files add up to ${total} B, more than the limit of ${total - 1} B per commit (--max-commit-size); this file and later ones were not read`,
    ]);
  });
});

describe('extends', () => {
  const withExtends = (reference: string) => ({
    'jobs/a.yaml': `extends: ${JSON.stringify(reference)}\n${job('a')}`,
    'templates/t.yaml': 'contact: a@b\n',
  });

  it(`at ${MAX_EXTENDS_LENGTH} characters: resolved`, async () => {
    const padded = `.${'/'.repeat(MAX_EXTENDS_LENGTH - 1 - '/../templates/t.yaml'.length)}/../templates/t.yaml`;
    assert.equal(padded.length, MAX_EXTENDS_LENGTH);
    const repository = await load(withExtends(padded));
    assert.deepEqual(lines(repository.problems), []);
    assert.equal(repository.jobs[0]!.config.contact, 'a@b');
  });

  it(`at ${MAX_EXTENDS_LENGTH + 1} characters: a problem, at once even for 300 KB of ../`, async () => {
    const padded = `.${'/'.repeat(MAX_EXTENDS_LENGTH - '/../templates/t.yaml'.length)}/../templates/t.yaml`;
    const over = await load(withExtends(padded));
    assert.deepEqual(
      over.problems.map((p) => p.message),
      [`must be at most ${MAX_EXTENDS_LENGTH} characters (got ${MAX_EXTENDS_LENGTH + 1})`],
    );
    const started = performance.now();
    const hostile = await load(withExtends(`${'../'.repeat(100_000)}x.yaml`));
    assert.equal(hostile.problems.length, 1);
    assert.ok(performance.now() - started < 5000, 'refused without resolving it');
  });

  it('is resolved in one pass over its segments, never above the root', () => {
    const started = performance.now();
    assert.equal(resolveTemplatePath('jobs/a.yaml', `${'../'.repeat(200_000)}x.yaml`), undefined);
    assert.ok(performance.now() - started < 2000, 'linear: 200,000 segments in well under a second');
    assert.equal(resolveTemplatePath('jobs/web/a.yaml', '../../templates/./t.yaml'), 'templates/t.yaml');
    assert.equal(resolveTemplatePath('jobs/a.yaml', 'x/../../templates//t.yaml'), 'templates/t.yaml');
    assert.equal(resolveTemplatePath('jobs/a.yaml', '/etc/passwd'), undefined);
    assert.equal(resolveTemplatePath('jobs/a.yaml', '../../x.yaml'), undefined);
  });

  for (const depth of [MAX_EXTENDS_DEPTH, MAX_EXTENDS_DEPTH + 1]) {
    it(`a chain of ${depth} templates: ${depth > MAX_EXTENDS_DEPTH ? 'a problem' : 'resolved'}`, async () => {
      const files: Record<string, string> = { 'jobs/a.yaml': `extends: ../templates/t1.yaml\n${job('a')}` };
      for (let level = 1; level <= depth; level++)
        files[`templates/t${level}.yaml`] =
          level < depth ? `extends: t${level + 1}.yaml\ncontact: t${level}\n` : `contact: t${level}\n`;
      const repository = await load(files);
      if (depth <= MAX_EXTENDS_DEPTH) assert.deepEqual(lines(repository.problems), []);
      else
        assert.match(
          repository.problems.map((p) => p.message).join('\n'),
          new RegExp(`too many templates in one chain: at most ${MAX_EXTENDS_DEPTH}`),
        );
    });
  }
});

describe('values and tokens', () => {
  // The root map, `metadata`, its list: three values besides the items.
  const listOf = (items: number) => `${job('a')}metadata: {a: [${Array(items).fill('1').join(',')}]}\n`;

  it(`a document of ${MAX_DOCUMENT_VALUES} values is read; one more is refused before any position is worked out`, async () => {
    const base = (await load({ 'jobs/a.yaml': listOf(0) })).problems.length;
    assert.equal(base, 1, 'a list is not a string');
    const under = await load({ 'jobs/a.yaml': listOf(MAX_DOCUMENT_VALUES - 100) });
    assert.match(under.problems[0]!.message, /must be a string/);
    const over = await load({ 'jobs/a.yaml': listOf(MAX_DOCUMENT_VALUES) });
    assert.deepEqual(
      over.problems.map((p) => p.message),
      [
        `document 1 holds more than ${MAX_DOCUMENT_VALUES} values (maps, lists and scalars); a job has a few hundred`,
      ],
    );
  });

  it(`a file the fast reader declines is lexed first and refused past ${MAX_FILE_TOKENS} tokens`, async () => {
    const anchored = (items: number) => `contact: &c a\n${listOf(items)}`;
    const over = await load({ 'jobs/a.yaml': anchored(MAX_FILE_TOKENS / 2) });
    assert.deepEqual(
      over.problems.map((p) => p.message),
      [`holds more than ${MAX_FILE_TOKENS} YAML tokens; a job file has a few hundred per job`],
    );
    const under = await load({ 'jobs/a.yaml': anchored(1000) });
    assert.match(under.problems[0]!.message, /must be a string/);
  });
});

describe('problems', () => {
  it('quote at most a bounded prefix of a key, however long', async () => {
    const key = 'k'.repeat(100_000);
    const repository = await load({ 'jobs/a.yaml': `${job('a')}${key}: 1\n` });
    const [problem] = repository.problems;
    assert.ok(
      problem!.message.length < 1000 && problem!.path.length <= 200,
      JSON.stringify(problem).slice(0, 300),
    );
    assert.match(problem!.message, /^unknown field "k{79}…"; known fields: /);
  });

  it(`at most ${MAX_PROBLEMS_PER_FILE} per file and ${MAX_PROBLEMS_PER_COMMIT} per commit, the rest counted`, async () => {
    const unknown = (count: number, name = 'a') =>
      `${job(name)}${Array.from({ length: count }, (_, index) => `x${index}: 1`).join('\n')}\n`;
    const files: Record<string, string> = {};
    for (let index = 0; index < 12; index++)
      files[`jobs/f${String(index).padStart(2, '0')}.yaml`] = unknown(150, `j${index}`);
    const { problems } = await load(files);
    const first = problems.filter((p) => p.file === 'jobs/f00.yaml');
    assert.equal(first.length, MAX_PROBLEMS_PER_FILE + 1);
    assert.equal(first.at(-1)!.message, '… and 50 more problems in this file');
    assert.equal(problems.length, MAX_PROBLEMS_PER_COMMIT + 1);
    const counted = problems.map((p) => Number(/^… and (\d+) more/.exec(p.message)?.[1] ?? 1));
    const perFile = (await load({ 'jobs/f.yaml': unknown(150) })).problems;
    assert.equal(perFile.length, MAX_PROBLEMS_PER_FILE + 1);
    const inOneFile = MAX_PROBLEMS_PER_FILE + Number(/\d+/.exec(perFile.at(-1)!.message)![0]);
    assert.equal(
      counted.reduce((a, b) => a + b),
      12 * inOneFile,
      'every problem shown or counted',
    );
    assert.match(problems.at(-1)!.message, /^… and \d+ more problems in this commit$/);
  });
});
