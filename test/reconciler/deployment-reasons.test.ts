/**
 * Issue 22, item 5: every stage of a deployment says why it ended as it did, as a code.
 * Each reason is produced here by its cause, one commit after another on one repository and
 * one local cluster (real Git, real processes), through `deployCommit` as the daemon and
 * `borealis reconcile` call it; then `history` shows the codes, text and JSON.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { LocalCluster } from '../../src/cluster/local/cluster.js';
import {
  deployCommit,
  recordSuperseded,
  type DeployCommitContext,
} from '../../src/reconciler/deploy-commit.js';
import { FAILPOINT_ENV } from '../../src/reconciler/failpoint.js';
import { TrackedSource } from '../../src/source/tracked.js';
import { DeploymentLog, type DeploymentRecord, type Trigger } from '../../src/state/deployments.js';
import { FileStateStore } from '../../src/state/file/file-store.js';
import { Records } from '../../src/state/records.js';
import { DeployEnv } from '../support/deploy-env.js';
import { sleeperJob } from '../support/jobs.js';
import { schemaErrors } from '../support/json-schemas.js';

const GOOD = 'exec sleep 1000';
const BROKEN = 'exit 1';
const web = (cmdline: string, update: Record<string, unknown> = {}) =>
  sleeperJob('web', { instances: 2, update_config: { batch_size: 1, watch_secs: 1, ...update } }, cmdline);
const api = sleeperJob('api');

/** One repository, one local cluster and one state directory, deployed commit by commit. */
class Deployer {
  readonly env = new DeployEnv();
  private context!: DeployCommitContext;

  async open(): Promise<void> {
    const source = await TrackedSource.open({
      repo: this.env.repo.dir,
      path: '',
      stateDir: this.env.state,
      branch: 'main',
    });
    const records = new Records(await FileStateStore.open(join(this.env.state, 'store')));
    this.context = {
      source,
      clusterName: 'local',
      cluster: new LocalCluster({ root: join(this.env.state, 'sandboxes') }),
      records,
      deployments: new DeploymentLog(records.store),
    };
  }

  get deployments(): DeploymentLog {
    return this.context.deployments;
  }

  deploy(commit: string, trigger: Trigger = 'watch', extra: Partial<DeployCommitContext> = {}) {
    return deployCommit(commit, trigger, { ...this.context, ...extra });
  }

  superseded(commits: string[], newest: string): Promise<void> {
    return recordSuperseded(commits, newest, 'watch', this.context);
  }

  async record(commit: string): Promise<DeploymentRecord> {
    return (await this.deployments.find(commit))!;
  }

  async close(): Promise<void> {
    await this.context.cluster.close();
    await this.context.records.store.close();
    await this.context.source.close();
  }
}

/** What a stage's record must say: its outcome, its reason, the sentence, and each job's reason. */
interface Expected {
  outcome: DeploymentRecord['outcome'];
  reason: DeploymentRecord['reason'];
  detail?: RegExp;
  jobs?: Record<string, string | undefined>;
}

function assertReason(record: DeploymentRecord, expected: Expected): void {
  const what = JSON.stringify({ outcome: record.outcome, reason: record.reason, detail: record.detail });
  assert.equal(record.outcome, expected.outcome, what);
  assert.equal(record.reason, expected.reason, what);
  if (expected.detail) assert.match(record.detail ?? '', expected.detail);
  else if (expected.reason === undefined) assert.equal(record.detail, undefined);
  if (expected.jobs) {
    const jobs = Object.fromEntries(
      record.jobs.map((job): [string, string | undefined] => [job.job.split('/').at(-1)!, job.reason]),
    );
    assert.deepEqual(jobs, expected.jobs);
  }
}

describe('a reason for every stage, each produced by its cause', () => {
  const deployer = new Deployer();
  const { env } = deployer;
  const commits: Record<string, string> = {};
  before(() => deployer.open());
  after(async () => {
    delete process.env[FAILPOINT_ENV];
    await deployer.close();
    await env.cleanup();
  });

  const stages: [string, () => Promise<DeploymentRecord>, Expected][] = [
    [
      'a commit that rolls out has no reason',
      async () => deployer.deploy((commits.v1 = env.commitJobs('v1', [web(GOOD), api]))),
      { outcome: 'succeeded', reason: undefined, jobs: { web: undefined, api: undefined } },
    ],
    [
      'the signature check refuses an unsigned commit: UNTRUSTED',
      async () => {
        const signers = join(env.state, 'allowed-signers');
        writeFileSync(signers, '');
        const unsigned = env.commitJobs('unsigned', [web(GOOD), api]);
        return deployer.deploy(unsigned, 'watch', { requireSigned: { allowedSignersFile: signers } });
      },
      { outcome: 'rejected', reason: 'UNTRUSTED', detail: /^untrusted commit: / },
    ],
    [
      'loading finds nothing changed under the job root: PATH_UNCHANGED',
      async () => deployer.deploy(env.repo.commit('an empty commit')),
      { outcome: 'noop', reason: 'PATH_UNCHANGED', detail: /^nothing under the repository root changed$/ },
    ],
    [
      'loading finds the commit invalid: INVALID',
      async () => deployer.deploy(env.repo.commit('invalid', { 'jobs/web.yaml': 'cluster: [unclosed' })),
      { outcome: 'rejected', reason: 'INVALID', detail: /^1 validation problem\(s\); nothing applied$/ },
    ],
    [
      'planning finds the cluster as the commit wants it: IN_SYNC',
      async () => deployer.deploy(env.commitJobs('the same again', [web(GOOD), api]), 'manual'),
      { outcome: 'noop', reason: 'IN_SYNC', detail: /already matches/ },
    ],
    [
      'applying rolls one job back while another succeeds: ROLLED_BACK',
      async () =>
        deployer.deploy(
          (commits.broken = env.commitJobs('broken web, new worker', [
            web(BROKEN),
            api,
            sleeperJob('worker'),
          ])),
        ),
      {
        outcome: 'rolled_back',
        reason: 'ROLLED_BACK',
        detail: /web: rolled back/,
        jobs: { web: 'ROLLED_BACK', worker: undefined },
      },
    ],
    [
      'planning finds only a held update changed: HELD',
      async () => deployer.deploy(env.repo.commit('held, asked again'), 'manual'),
      { outcome: 'noop', reason: 'HELD', detail: /stay held/ },
    ],
    [
      'applying fails a rollout that may not roll back: ROLLOUT_FAILED',
      async () =>
        deployer.deploy(
          env.commitJobs('broken, no rollback', [
            web('exit 2', { rollback_on_failure: false }),
            api,
            sleeperJob('worker'),
          ]),
        ),
      { outcome: 'failed', reason: 'ROLLOUT_FAILED', detail: /web: failed/, jobs: { web: 'ROLLOUT_FAILED' } },
    ],
    [
      'applying stops when the reconciler does: STOPPED, resumable',
      async () =>
        deployer.deploy(
          (commits.stopped = env.commitJobs('v3, stopped', [
            web('exec sleep 999'),
            api,
            sleeperJob('worker'),
          ])),
          'watch',
          { halt: () => 'now' },
        ),
      { outcome: 'in_progress', reason: 'STOPPED', detail: /resumes/, jobs: { web: 'STOPPED' } },
    ],
    [
      'planning refuses to kill every job: MASS_KILL',
      async () => deployer.deploy((commits.empty = env.commitJobs('drop everything', []))),
      {
        outcome: 'rejected',
        reason: 'MASS_KILL',
        detail: /^refused: this plan would kill every running job/,
      },
    ],
    [
      'a commit left open by a reconciler that stopped, closed by the next commit: INTERRUPTED',
      async () => deployer.record(commits.stopped!),
      {
        outcome: 'superseded',
        reason: 'INTERRUPTED',
        detail: /^interrupted before its outcome was recorded$/,
      },
    ],
    [
      'applying gives way to a newer commit at a batch boundary: SUPERSEDED',
      async () =>
        deployer.deploy(env.commitJobs('v4', [web('exec sleep 998'), api, sleeperJob('worker')]), 'watch', {
          halt: () => 'boundary',
        }),
      {
        outcome: 'superseded',
        reason: 'SUPERSEDED',
        detail: /a newer commit arrived/,
        jobs: { web: 'SUPERSEDED' },
      },
    ],
    [
      'a commit that landed with a newer one: SUPERSEDED',
      async () => {
        const skipped = env.commitJobs('skipped', [web(GOOD), api]);
        await deployer.superseded([skipped], env.repo.commit('newest'));
        return deployer.record(skipped);
      },
      { outcome: 'superseded', reason: 'SUPERSEDED', detail: /landed together with it/ },
    ],
    [
      'any stage hits an internal error, here mid-rollout, kept with its events: DEPLOY_INTERNAL_ERROR',
      async () => {
        const poison = env.commitJobs('poison', [web('exec sleep 997'), api, sleeperJob('worker')]);
        process.env[FAILPOINT_ENV] = `rollout:throw:${poison}`;
        const record = await deployer.deploy(poison).finally(() => delete process.env[FAILPOINT_ENV]);
        assert.ok(record.jobs[0]!.events.length > 0, 'the events so far are kept');
        return record;
      },
      {
        outcome: 'failed',
        reason: 'DEPLOY_INTERNAL_ERROR',
        detail: /^internal error while applying: .*injected fault while rollout/,
        jobs: { web: undefined },
      },
    ],
    [
      'a reconciler died planning it: DEPLOY_CRASHED',
      async () => {
        const poison = env.commitJobs('poison again', [web('exec sleep 996'), api]);
        process.env[FAILPOINT_ENV] = `planning:unreachable:${poison}`;
        await assert.rejects(deployer.deploy(poison), /injected fault/);
        delete process.env[FAILPOINT_ENV];
        const open = await deployer.record(poison);
        // The marker a reconciler leaves when it dies while planning (an error of the
        // environment clears its own): written as that process would have.
        await deployer.deployments.update({
          ...open,
          attempt: {
            phase: 'planning',
            since: new Date().toISOString(),
            crashes: 0,
            process: 'one that died',
          },
        });
        return deployer.deploy(poison);
      },
      { outcome: 'failed', reason: 'DEPLOY_CRASHED', detail: /died while planning this commit/ },
    ],
  ];

  for (const [name, act, expected] of stages) {
    it(name, async () => assertReason(await act(), expected));
  }

  it('history shows each reason: in its list, in one deployment, and in JSON', async () => {
    await deployer.close();
    const list = await env.cli('history', '-n', '50');
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, new RegExp(`${commits.broken!.slice(0, 12)}  rolled_back  ROLLED_BACK +watch`));
    assert.match(list.stdout, new RegExp(`${commits.v1!.slice(0, 12)}  succeeded +watch`));
    const one = await env.cli('history', commits.broken!);
    assert.match(
      one.stdout,
      /^outcome {4}rolled_back \(ROLLED_BACK\) — local\/www-data\/prod\/web: rolled back/m,
    );
    assert.match(
      one.stdout,
      /^local\/www-data\/prod\/web: update → rolled_back \(ROLLED_BACK\) — update failed/m,
    );
    assert.match(one.stdout, /^local\/www-data\/prod\/worker: create → succeeded$/m);
    const json = await env.cli('history', '-n', '50', '-o', 'json');
    const document = JSON.parse(json.stdout) as { format_version: number; deployments: DeploymentRecord[] };
    assert.deepEqual(schemaErrors('history', document), []);
    assert.equal(document.format_version, 3);
    const broken = document.deployments.find((d) => d.commit === commits.broken)!;
    assert.equal(broken.reason, 'ROLLED_BACK');
    assert.match(broken.detail ?? '', /web: rolled back/);
    assert.deepEqual(
      broken.jobs.map((job) => [job.job, job.reason]),
      [
        ['local/www-data/prod/web', 'ROLLED_BACK'],
        ['local/www-data/prod/worker', undefined],
      ],
    );
  });
});
