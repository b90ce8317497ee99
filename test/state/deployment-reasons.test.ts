/**
 * Records written before reason codes carried a sentence in `reason`: they still read, with
 * the code their outcome and sentence meant and the sentence as `detail`, and `history`
 * shows them (text and JSON, which stays valid under the schema).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DEPLOYMENT_REASONS, JOB_REASONS, withReasonCodes } from '../../src/state/deployment-reasons.js';
import type { DeploymentRecord } from '../../src/state/deployments.js';
import { FileStateStore } from '../../src/state/file/file-store.js';
import { DeployEnv } from '../support/deploy-env.js';
import { schemaErrors } from '../support/json-schemas.js';

type Legacy = Omit<DeploymentRecord, 'reason'> & { reason?: string };

function legacy(
  sequence: number,
  outcome: DeploymentRecord['outcome'],
  fields: Partial<Legacy> = {},
): Legacy {
  return {
    format: 1,
    sequence,
    commit: String(sequence).repeat(40).slice(0, 40),
    parent_applied: null,
    author: { name: 'Ada', email: 'ada@example.com' },
    committer: { name: 'Ada', email: 'ada@example.com' },
    date: '2026-12-01T10:00:00+01:00',
    message: `commit ${sequence}`,
    signature: { status: 'not_checked', trusted: false, detail: 'signatures are not required' },
    trigger: 'watch',
    cluster: 'local',
    outcome,
    jobs: [],
    errors: [],
    started_at: '2026-12-01T09:00:00.000Z',
    finished_at: '2026-12-01T09:00:01.000Z',
    ...fields,
  };
}

const rolledBackJob = {
  job: 'local/www-data/prod/web',
  action: 'update',
  result: 'rolled_back' as const,
  message: 'update failed and was rolled back',
  events: [],
};

/** Each outcome and sentence the version before the codes wrote, and the code it reads as. */
const WRITTEN_BEFORE: [Legacy, DeploymentRecord['reason']][] = [
  [legacy(1, 'succeeded'), undefined],
  [legacy(2, 'rejected', { reason: 'untrusted commit: the commit is not signed' }), 'UNTRUSTED'],
  [legacy(3, 'noop', { reason: 'nothing under jobs changed' }), 'PATH_UNCHANGED'],
  [legacy(4, 'rejected', { reason: '2 validation problem(s); nothing applied' }), 'INVALID'],
  [legacy(5, 'failed', { reason: 'nothing applied: state record jobs/x is unreadable' }), 'STATE_CORRUPT'],
  [
    legacy(6, 'rejected', {
      reason: 'refused: this plan would kill every running job; pass --allow-mass-kill if that is intended',
    }),
    'MASS_KILL',
  ],
  [legacy(7, 'noop', { reason: 'the cluster already matches this commit' }), 'IN_SYNC'],
  [legacy(8, 'noop', { reason: 'nothing to apply: the updates held after failing stay held' }), 'HELD'],
  [
    legacy(9, 'in_progress', {
      reason: 'the reconciler stopped; the deployment resumes when it starts again',
      finished_at: null,
    }),
    'STOPPED',
  ],
  [
    legacy(10, 'superseded', {
      reason: 'a newer commit arrived; stopped once no instance was between its old and new task',
    }),
    'SUPERSEDED',
  ],
  [
    legacy(11, 'failed', { reason: 'local/www-data/prod/web: failed (instances failed: 0)' }),
    'ROLLOUT_FAILED',
  ],
  [
    legacy(12, 'rolled_back', {
      reason: 'local/www-data/prod/web: rolled back (update failed and was rolled back)',
      jobs: [rolledBackJob],
    }),
    'ROLLED_BACK',
  ],
  [legacy(13, 'superseded', { reason: 'interrupted before its outcome was recorded' }), 'INTERRUPTED'],
  [
    legacy(14, 'failed', {
      reason: "interrupted before its outcome was recorded; closed by 'borealis state repair'",
    }),
    'INTERRUPTED',
  ],
  [
    legacy(15, 'failed', {
      reason: 'internal error while planning: boom; not retried until a newer commit or `borealis reconcile`',
      error: { code: 'DEPLOY_INTERNAL_ERROR', message: 'boom' },
    }),
    'DEPLOY_INTERNAL_ERROR',
  ],
  [
    legacy(16, 'failed', {
      reason: 'the reconciler died while planning this commit (once: killed, or out of memory); not retried',
      error: { code: 'DEPLOY_CRASHED', message: 'died' },
    }),
    'DEPLOY_CRASHED',
  ],
  [
    legacy(17, 'superseded', {
      reason: 'newer commit 0123456789ab landed together with it; only the newest is deployed',
    }),
    'SUPERSEDED',
  ],
  [legacy(18, 'in_progress', { finished_at: null }), undefined],
];

describe('the published reason codes', () => {
  it('are the codes records carry, for deployments and for jobs', () => {
    const schema = JSON.parse(
      readFileSync(new URL('../../../schemas/deployment.schema.json', import.meta.url), 'utf8'),
    ) as {
      $defs: { reason: { enum: string[] }; job_result: { properties: { reason: { enum: string[] } } } };
    };
    assert.deepEqual(schema.$defs.reason.enum, [...DEPLOYMENT_REASONS]);
    assert.deepEqual(schema.$defs.job_result.properties.reason.enum, [...JOB_REASONS]);
  });
});

describe('deployment records written before reason codes', () => {
  for (const [record, code] of WRITTEN_BEFORE) {
    it(`${record.outcome}${record.reason ? `, "${record.reason.slice(0, 40)}"` : ''} reads as ${code ?? 'no reason'}`, () => {
      const read = withReasonCodes(record);
      assert.equal(read.reason, code);
      assert.equal(read.detail, record.reason);
    });
  }

  it('give each job the reason its result meant', () => {
    const [job] = withReasonCodes(WRITTEN_BEFORE[11]![0]).jobs;
    assert.equal(job?.reason, 'ROLLED_BACK');
    assert.equal(job?.message, rolledBackJob.message);
  });

  it('leave a record written with codes as it is', () => {
    const coded = { ...legacy(1, 'rejected'), reason: 'MASS_KILL', detail: 'refused: …' };
    assert.equal(withReasonCodes(coded), coded);
  });

  describe('in history', () => {
    const env = new DeployEnv();
    before(async () => {
      const store = await FileStateStore.open(join(env.state, 'store'));
      for (const [record] of WRITTEN_BEFORE)
        await store.put(`deployments/${String(record.sequence).padStart(12, '0')}`, record, null);
      await store.close();
    });
    after(() => env.cleanup());

    it('are listed with their codes, shown in full with code and sentence, and valid JSON', async () => {
      const list = await env.cli('history', '-n', '50');
      assert.equal(list.code, 0, list.stderr);
      assert.equal(list.stdout.trimEnd().split('\n').length, WRITTEN_BEFORE.length);
      assert.match(list.stdout, /^.{21}2{12} {2}rejected {5}UNTRUSTED +watch +Ada +commit 2$/m);
      const one = await env.cli('history', '2222');
      assert.match(
        one.stdout,
        /^outcome {4}rejected \(UNTRUSTED\) — untrusted commit: the commit is not signed$/m,
      );
      const json = await env.cli('history', '-n', '50', '-o', 'json');
      const document = JSON.parse(json.stdout) as { deployments: DeploymentRecord[] };
      assert.deepEqual(schemaErrors('history', document), []);
      assert.deepEqual(
        document.deployments.map((d) => d.reason).reverse(),
        WRITTEN_BEFORE.map(([, code]) => code),
      );
    });
  });
});
