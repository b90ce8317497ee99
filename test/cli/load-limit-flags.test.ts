/**
 * `--max-file-size` and `--max-commit-size`: flags of every command (a commit must not be
 * able to raise its own limits), sizes written as in job files or as bytes.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { jobYaml, LOCAL_CLUSTERS } from '../support/jobs.js';
import { runCli } from '../support/run-cli.js';
import { withTempRepo } from '../support/temp-repo.js';

const files = { 'clusters.yaml': LOCAL_CLUSTERS, 'jobs/a.yaml': jobYaml({ name: 'a' }) };
const bytes = Buffer.byteLength(files['jobs/a.yaml']);

describe('the load limits on the command line', () => {
  it('validate: a file over --max-file-size is a problem; at the limit it is valid', async () => {
    await withTempRepo(files, async (dir) => {
      const over = await runCli(['validate', dir, '--max-file-size', String(bytes - 1)]);
      assert.equal(over.code, 1);
      assert.match(
        over.stdout,
        new RegExp(
          `^jobs/a.yaml:1:1: this file is ${bytes} B, more than the limit of ${bytes - 1} B per file \\(--max-file-size\\)`,
        ),
      );
      const at = await runCli(['--max-file-size', String(bytes), 'validate', dir]);
      assert.equal(at.code, 0, at.stdout);
    });
  });

  it('takes sizes as job files write them, and refuses anything else as a usage error', async () => {
    await withTempRepo(files, async (dir) => {
      assert.equal((await runCli(['validate', dir, '--max-commit-size', '1KiB'])).code, 0);
      const tooSmall = await runCli(['validate', dir, '--max-commit-size', '100B']);
      assert.equal(tooSmall.code, 1);
      assert.match(tooSmall.stdout, /more than the limit of 100 B per commit \(--max-commit-size\)/);
      const wrong = await runCli(['validate', dir, '--max-file-size', 'lots']);
      assert.equal(wrong.code, 64);
      assert.match(wrong.stderr, /Expected a size such as 1MiB/);
    });
  });
});
