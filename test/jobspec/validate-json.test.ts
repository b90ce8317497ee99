/** `borealis validate -o json`: the same problems as the text output, in a versioned document (schemas/validate.schema.json). */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { formatProblem } from '../../src/cli/validate.js';
import { DirectoryTree } from '../../src/source/dir-tree.js';
import { loadRepository } from '../../src/jobspec/load.js';
import type { Problem } from '../../src/jobspec/types.js';
import { runCli } from '../support/run-cli.js';
import { withTempRepo } from '../support/temp-repo.js';
import { assertMatchesSchema } from '../support/json-schemas.js';

const CLUSTERS = 'clusters:\n  - name: local\n    type: local\n';

const VALID_JOB = `cluster: local
role: www-data
environment: prod
name: site
task:
  processes:
    - name: main
      cmdline: echo hello
  resources:
    cpu: 0.1
    ram: 32MiB
    disk: 16MiB
`;

/** Problems of several kinds: schema problems with fields, a syntax error without one, an extends problem. */
const BROKEN_REPO = {
  'clusters.yaml': CLUSTERS,
  'jobs/site.yaml': VALID_JOB.replace('name: site', 'name: site\ninstances: 0\ncolour: blue'),
  'jobs/syntax.yaml': 'name: "unterminated\n',
  'jobs/orphan.yaml': 'extends: ../templates/missing.yaml\nname: orphan\n',
};

const FIELDS = ['file', 'line', 'column', 'path', 'message'];

describe('validate -o json', () => {
  it('prints every problem the loader finds as {file, line, column, path, message}, and exits 1', async () => {
    await withTempRepo(BROKEN_REPO, async (dir) => {
      const problems = await loadProblems(dir);
      assert.ok(problems.length >= 4, `the fixture should have several problems, got ${problems.length}`);
      const run = await runCli(['validate', '-o', 'json', dir]);
      assert.equal(run.code, 1, run.stderr);
      const printed = parseProblems(run.stdout);
      for (const entry of printed) assert.deepEqual(Object.keys(entry), FIELDS);
      assert.deepEqual(printed, problems.map(plain));
    });
  });

  it('reports the same problems, in the same order, as the text output', async () => {
    await withTempRepo(BROKEN_REPO, async (dir) => {
      const json = parseProblems((await runCli(['validate', '--output', 'json', dir])).stdout);
      const text = (await runCli(['validate', dir])).stdout.split('\n');
      assert.deepEqual(text.slice(0, json.length), json.map(formatProblem));
    });
  });

  it('says valid, lists the jobs and no problem, and exits 0 for a valid repository', async () => {
    await withTempRepo({ 'clusters.yaml': CLUSTERS, 'jobs/site.yaml': VALID_JOB }, async (dir) => {
      const run = await runCli(['validate', '-o', 'json', dir]);
      assert.equal(run.code, 0, run.stdout + run.stderr);
      const report = assertMatchesSchema<{ valid: boolean; jobs: { job: string }[]; errors: unknown[] }>(
        'validate',
        run.stdout,
      );
      assert.equal(report.valid, true);
      assert.deepEqual(report.errors, []);
      assert.deepEqual(
        report.jobs.map((job) => job.job),
        ['local/www-data/prod/site'],
      );
    });
  });
});

async function loadProblems(dir: string): Promise<Problem[]> {
  return (await loadRepository(new DirectoryTree(dir))).problems;
}

function plain({ file, line, column, path, message }: Problem): Problem {
  return { file, line, column, path, message };
}

/** The whole of stdout must be one validation report, invalid, with its problems. */
function parseProblems(stdout: string): Problem[] {
  const report = assertMatchesSchema<{ valid: boolean; jobs: unknown[]; errors: unknown[] }>(
    'validate',
    stdout,
  );
  assert.equal(report.valid, false);
  assert.deepEqual(report.jobs, []);
  return report.errors.map((entry: unknown) => {
    assert.ok(isProblem(entry), `not a problem object: ${JSON.stringify(entry)}`);
    return entry;
  });
}

function isProblem(value: unknown): value is Problem {
  if (typeof value !== 'object' || value === null) return false;
  const entry = value as Record<string, unknown>;
  return (
    typeof entry.file === 'string' &&
    typeof entry.line === 'number' &&
    typeof entry.column === 'number' &&
    typeof entry.path === 'string' &&
    typeof entry.message === 'string'
  );
}
