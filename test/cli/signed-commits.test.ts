/** --require-signed-commits: a commit signed with an allowed SSH key deploys; an unsigned one is rejected and recorded. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { sleeperJob, LOCAL_CLUSTERS } from '../support/jobs.js';
import { runCli } from '../support/run-cli.js';
import { SigningLab, type SshKey } from '../support/signing.js';

const job = (name: string) => sleeperJob(name);

describe('signed-commit mode', () => {
  let lab: SigningLab;
  let state: string;
  let trusted: SshKey;
  let allowedSigners: string;

  const stage = (files: Record<string, string>) => {
    for (const [path, content] of Object.entries(files)) {
      mkdirSync(join(lab.repo, path, '..'), { recursive: true });
      writeFileSync(join(lab.repo, path), content);
    }
    lab.git('add', '-A');
  };
  const reconcile = () =>
    runCli([
      '--repo',
      lab.repo,
      '--state',
      state,
      'reconcile',
      '--require-signed-commits',
      '--allowed-signers',
      allowedSigners,
    ]);

  before(() => {
    lab = new SigningLab();
    state = mkdtempSync(join(tmpdir(), 'borealis-signed-'));
    trusted = lab.sshKey('deployer');
    allowedSigners = lab.allowedSigners('allowed_signers', [
      { principal: 'deployer@example.com', key: trusted },
    ]);
  });
  after(async () => {
    await runCli(['--repo', lab.repo, '--state', state, 'local', 'down']);
    rmSync(state, { recursive: true, force: true });
    lab.remove();
  });

  it('deploys a commit signed with an allowed SSH key', async () => {
    stage({ 'clusters.yaml': LOCAL_CLUSTERS, 'jobs/a.yaml': stringify(job('a')) });
    const commit = lab.commit('signed deploy', { ssh: trusted });
    const run = await reconcile();
    assert.equal(run.code, 0, run.stdout + run.stderr);
    const history = JSON.parse(
      (await runCli(['--state', state, 'history', commit, '-o', 'json'])).stdout,
    ) as {
      deployment: { outcome: string; signature: { status: string; trusted: boolean; signer?: string } };
    };
    assert.equal(history.deployment.outcome, 'succeeded');
    assert.deepEqual(
      {
        status: history.deployment.signature.status,
        trusted: history.deployment.signature.trusted,
        signer: history.deployment.signature.signer,
      },
      { status: 'good', trusted: true, signer: 'deployer@example.com' },
    );
  });

  it('rejects and records an unsigned commit, and one signed by a key that is not allowed', async () => {
    const stranger = lab.sshKey('stranger');
    for (const [message, sign] of [
      ['unsigned', {}],
      ['signed by a stranger', { ssh: stranger }],
    ] as const) {
      stage({ 'jobs/b.yaml': stringify(job(`b-${message.length}`)) });
      const commit = lab.commit(message, sign);
      const run = await reconcile();
      assert.equal(run.code, 1, run.stdout + run.stderr);
      assert.match(run.stdout, /Rejected commit [0-9a-f]{12}: untrusted commit/);
      const shown = await runCli(['--state', state, 'history', commit]);
      assert.match(shown.stdout, /outcome {4}rejected \(UNTRUSTED\) — untrusted commit/);
      lab.git('reset', '-q', '--hard', 'HEAD~1');
    }
    const list = await runCli(['--state', state, 'history']);
    assert.equal(list.stdout.trim().split('\n').length, 3, list.stdout);
  });
});
