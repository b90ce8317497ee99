/**
 * The README's annotated job file and clusters.yaml are a valid repository: their comments
 * state the ranges and defaults, so a change to the schema that the README misses fails here.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { formatProblem } from '../../src/cli/validate.js';
import { DirectoryTree } from '../../src/source/dir-tree.js';
import { loadRepository } from '../../src/jobspec/load.js';
import { withTempRepo } from '../support/temp-repo.js';

const README = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');

/** The first ```yaml block after `heading`. */
function yamlBlockAfter(heading: string): string {
  const start = README.indexOf(heading);
  assert.notEqual(start, -1, `README.md has no "${heading}"`);
  const open = README.indexOf('```yaml\n', start);
  const close = README.indexOf('\n```', open + 1);
  return README.slice(open + '```yaml\n'.length, close + 1);
}

describe('README examples', () => {
  it('the annotated job file and clusters.yaml validate without a problem', async () => {
    const files = {
      'clusters.yaml': yamlBlockAfter('### clusters.yaml'),
      'jobs/annotated.yaml': yamlBlockAfter('### A job file, annotated'),
    };
    const problems = await withTempRepo(
      files,
      async (dir) => (await loadRepository(new DirectoryTree(dir))).problems,
    );
    assert.deepEqual(problems.map(formatProblem), []);
  });
});
