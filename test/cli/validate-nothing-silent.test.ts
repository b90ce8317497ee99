/**
 * `borealis validate` reports every case that was once dropped or skipped without a word,
 * and exits 1: on a directory (`--path`) and at a commit (`--ref`) alike.
 */
import assert from 'node:assert/strict';
import { symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { TempGitRepo } from '../support/git-repo.js';
import { jobYaml, LOCAL_CLUSTERS } from '../support/jobs.js';
import { runBin } from '../support/run-cli.js';

const EXPECTED = [
  'jobs/binary.yaml:1:18: not valid UTF-8 (byte 0xff); save the file as UTF-8 text',
  'jobs/link.yaml:1:1: symbolic link to "../../outside.yaml" points outside the job root; only links to files inside it are followed',
  'jobs/nul.yaml:1:10: env.A: a value must not contain a NUL character (\\0)',
  'jobs/proto.yaml:1:1: __proto__: unknown field "__proto__"',
  'jobs/set.yaml:1:11: metadata: YAML tag !!set is not supported',
];

describe('validate: nothing silent', () => {
  const repo = new TempGitRepo('borealis-nothing-silent-');
  after(() => repo.remove());
  repo.write({
    'deploy/clusters.yaml': LOCAL_CLUSTERS,
    'deploy/jobs/proto.yaml': `__proto__: {x: 1}\n${jobYaml({ name: 'proto' })}`,
    'deploy/jobs/set.yaml': `metadata: !!set {a, b}\n${jobYaml({ name: 'set' })}`,
    'deploy/jobs/nul.yaml': `env: {A: "x\\0y"}\n${jobYaml({ name: 'nul' })}`,
    'deploy/jobs/trailing.yaml': `${jobYaml({ name: 'trailing' })}---\n`,
    'deploy/shared/linked.yaml': jobYaml({ name: 'linked' }),
  });
  writeFileSync(
    join(repo.dir, 'deploy/jobs/binary.yaml'),
    Buffer.concat([
      Buffer.from('env: {GREETING: "'),
      Buffer.from([0xff]),
      Buffer.from(`"}\n${jobYaml({ name: 'binary' })}`),
    ]),
  );
  symlinkSync('../../outside.yaml', join(repo.dir, 'deploy/jobs/link.yaml'));
  symlinkSync('../shared/linked.yaml', join(repo.dir, 'deploy/jobs/followed.yaml'));
  repo.commit('formerly silent cases');

  for (const mode of [[], ['--ref', 'HEAD']]) {
    it(`reports each with its place and exits 1 (${mode.length ? '--ref' : 'directory'})`, async () => {
      const run = await runBin(['validate', repo.dir, '--path', 'deploy', ...mode]);
      assert.equal(run.code, 1, run.stdout + run.stderr);
      const lines = run.stdout.split('\n').filter((line) => line.startsWith('jobs/'));
      assert.equal(lines.length, EXPECTED.length, run.stdout);
      EXPECTED.forEach((start, index) =>
        assert.ok(lines[index]!.startsWith(start), `${lines[index]}\n≠ ${start}`),
      );
      assert.match(run.stdout, /: 5 problems; nothing may be applied from it\n$/);
    });
  }

  it('once they are fixed, the trailing --- and the followed link are fine', async () => {
    const fixed = new TempGitRepo('borealis-nothing-silent-fixed-');
    try {
      fixed.write({
        'clusters.yaml': LOCAL_CLUSTERS,
        'jobs/trailing.yaml': `${jobYaml({ name: 'trailing' })}---\n`,
        'shared/linked.yaml': jobYaml({ name: 'linked' }),
      });
      symlinkSync('../shared/linked.yaml', join(fixed.dir, 'jobs/followed.yaml'));
      fixed.commit('fixed');
      for (const mode of [[], ['--ref', 'HEAD']]) {
        const run = await runBin(['validate', fixed.dir, ...mode]);
        assert.equal(run.code, 0, run.stdout + run.stderr);
        assert.match(run.stdout, /valid: 2 jobs on clusters local/);
        assert.match(run.stdout, /local\/www-data\/prod\/linked .*\(jobs\/followed\.yaml\)/);
      }
    } finally {
      fixed.remove();
    }
  });
});
