/**
 * The broken-repository corpus: test/fixtures/broken/<case>/ holds the files one broken job
 * repository adds to (or, listed in removed.txt, removes from) a shared base, and
 * expected.txt lists the problems `borealis validate` must report for it, one per line:
 *
 *     FILE:LINE:COL: FIELD: <substring of the message>
 *
 * (`FIELD: ` is left out for problems that have no field). Everything before the message
 * must match exactly; reported and expected problems must pair up one-to-one. Blank lines
 * and lines starting with `#` are comments.
 *
 * The base is example-repo/clusters.yaml plus everything under test/fixtures/broken/_base/.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { formatProblem } from '../../src/cli/validate.js';
import { DirectoryTree } from '../../src/source/dir-tree.js';
import { loadRepository } from '../../src/jobspec/load.js';
import type { Problem } from '../../src/jobspec/types.js';
import { runCli } from '../support/run-cli.js';
import { readFileMap, withTempRepo } from '../support/temp-repo.js';

const ROOT = new URL('../../../', import.meta.url);
const CORPUS = new URL('test/fixtures/broken/', ROOT);
const EXAMPLE_REPO_URL = new URL('example-repo/', ROOT);
const EXAMPLE_REPO = fileURLToPath(EXAMPLE_REPO_URL);
const BASE_DIR = '_base';
const EXPECTED_FILE = 'expected.txt';
const REMOVED_FILE = 'removed.txt';
const MINIMUM_CASES = 45;

const cases = await listCases();

describe('broken corpus', () => {
  it(`has at least ${MINIMUM_CASES} cases, each in a kebab-case directory`, () => {
    assert.ok(cases.length >= MINIMUM_CASES, `only ${cases.length} cases: ${cases.join(', ')}`);
    const badNames = cases.filter((name) => !/^[a-z0-9]+(-[a-z0-9]+)*$/.test(name));
    assert.deepEqual(badNames, [], 'case directories must be kebab-case');
  });

  it('has a valid base: a job extending templates/base.yaml has no problems', async () => {
    const files = await baseFiles();
    files.set('jobs/ok.yaml', 'extends: ../templates/base.yaml\nname: ok\n');
    const problems = await withTempRepo(files, loadProblems);
    assert.deepEqual(problems.map(formatProblem), []);
  });

  it('accepts example-repo: no problems, exit code 0', async () => {
    assert.deepEqual((await loadProblems(EXAMPLE_REPO)).map(formatProblem), []);
    const run = await runCli(['validate', EXAMPLE_REPO]);
    assert.equal(
      run.code,
      0,
      `borealis validate example-repo exited ${run.code}:\n${run.stdout}${run.stderr}`,
    );
  });

  for (const name of cases) {
    describe(name, () => {
      it('loader reports exactly the problems in expected.txt', async () => {
        const expected = await expectedLines(name);
        assert.ok(expected.length > 0, `${name}/${EXPECTED_FILE} lists no problem`);
        const problems = await withTempRepo(await caseFiles(name), loadProblems);
        assertSameProblems(name, expected, problems);
        assertSorted(problems);
      });

      it('validate prints each of those problems and exits 1', async () => {
        await withTempRepo(await caseFiles(name), assertCliReports);
      });
    });
  }
});

async function listCases(): Promise<string[]> {
  const entries = await readdir(CORPUS, { withFileTypes: true });
  return entries
    .filter((entry) => entry.isDirectory() && entry.name !== BASE_DIR)
    .map((entry) => entry.name)
    .sort();
}

async function loadProblems(dir: string): Promise<Problem[]> {
  return (await loadRepository(new DirectoryTree(dir))).problems;
}

async function baseFiles(): Promise<Map<string, string>> {
  const clusters = await readFile(new URL('clusters.yaml', EXAMPLE_REPO_URL), 'utf8');
  const template = await readFileMap(fileURLToPath(new URL(`${BASE_DIR}/`, CORPUS)));
  return new Map([['clusters.yaml', clusters], ...template]);
}

/** The base with the case's removals and files applied. */
async function caseFiles(name: string): Promise<Map<string, string>> {
  const files = await baseFiles();
  const own = await readFileMap(fileURLToPath(new URL(`${name}/`, CORPUS)));
  for (const path of meaningfulLines(own.get(REMOVED_FILE) ?? '')) {
    assert.ok(files.delete(path), `${name}/${REMOVED_FILE}: "${path}" is not a file of the base`);
  }
  for (const [path, content] of own) {
    if (path !== EXPECTED_FILE && path !== REMOVED_FILE) files.set(path, content);
  }
  return files;
}

async function expectedLines(name: string): Promise<string[]> {
  return meaningfulLines(await readFile(new URL(`${name}/${EXPECTED_FILE}`, CORPUS), 'utf8'));
}

/** Non-blank lines that are not `#` comments, without trailing white space. */
function meaningfulLines(text: string): string[] {
  return text
    .split('\n')
    .map((line) => line.trimEnd())
    .filter((line) => line !== '' && !line.startsWith('#'));
}

/** Whether an expected line describes `problem`: same position and field, message containing the rest. */
function describes(line: string, problem: Problem): boolean {
  const field = problem.path ? `${problem.path}: ` : '';
  const prefix = `${problem.file}:${problem.line}:${problem.column}: ${field}`;
  return (
    line.startsWith(prefix) &&
    line.length > prefix.length &&
    problem.message.includes(line.slice(prefix.length))
  );
}

/**
 * Pairs expected lines with problems one-to-one (a maximum bipartite matching, so the
 * order of lines never matters); returns, per problem, the index of its expected line.
 */
function pairUp(expected: readonly string[], problems: readonly Problem[]): (number | undefined)[] {
  const owner: (number | undefined)[] = problems.map(() => undefined);
  const assign = (line: number, tried: Set<number>): boolean =>
    problems.some((problem, index) => {
      if (tried.has(index) || !describes(expected[line]!, problem)) return false;
      tried.add(index);
      const previous = owner[index];
      if (previous !== undefined && !assign(previous, tried)) return false;
      owner[index] = line;
      return true;
    });
  expected.forEach((_, line) => assign(line, new Set()));
  return owner;
}

function assertSameProblems(name: string, expected: readonly string[], problems: readonly Problem[]): void {
  const owner = pairUp(expected, problems);
  const missing = expected.filter((_, line) => !owner.includes(line));
  const unexpected = problems.filter((_, index) => owner[index] === undefined).map(formatProblem);
  if (missing.length === 0 && unexpected.length === 0) return;
  assert.fail(
    [
      `case ${name}: the reported problems do not match ${EXPECTED_FILE}`,
      section('expected but not reported', missing),
      section('reported but not expected', unexpected),
      section(`all expected (${EXPECTED_FILE})`, expected),
      section('all reported', problems.map(formatProblem)),
    ].join('\n'),
  );
}

/** Problems come sorted by file, then line, then column. */
function assertSorted(problems: readonly Problem[]): void {
  const key = (problem: Problem): [string, number, number] => [problem.file, problem.line, problem.column];
  const sorted = [...problems].sort((a, b) => compareKeys(key(a), key(b)));
  assert.deepEqual(
    problems.map(formatProblem),
    sorted.map(formatProblem),
    'problems are not sorted by position',
  );
}

function compareKeys(
  [fileA, lineA, columnA]: [string, number, number],
  [fileB, lineB, columnB]: [string, number, number],
): number {
  return fileA < fileB ? -1 : fileA > fileB ? 1 : lineA - lineB || columnA - columnB;
}

function section(title: string, lines: readonly string[]): string {
  return `  ${title}:\n${lines.length > 0 ? lines.map((line) => `    ${line}`).join('\n') : '    (none)'}`;
}

async function assertCliReports(dir: string): Promise<void> {
  const problems = (await loadProblems(dir)).map(formatProblem);
  const run = await runCli(['validate', dir]);
  const printed = run.stdout.split('\n').filter((line) => line !== '');
  const context = `borealis validate printed:\n${run.stdout}${run.stderr}`;
  assert.equal(run.code, 1, `exit code ${run.code}, expected 1\n${context}`);
  assert.deepEqual(printed.slice(0, problems.length), problems, `problem lines differ\n${context}`);
  assert.equal(
    printed.length,
    problems.length + 1,
    `expected one summary line after the problems\n${context}`,
  );
  assert.match(printed.at(-1)!, new RegExp(`\\b${problems.length} problems?\\b`), context);
}
