/**
 * The JSON that `plan` and `history` print matches schemas/plan.schema.json and
 * schemas/history.schema.json: real plans of every action and real deployments of every
 * outcome, from a real Git repository on the real local cluster. The schemas forbid
 * unknown keys, so a key drifting back to camelCase fails here.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { setTimeout as delay } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import type { PlanDocument } from '../../src/plan/wire.js';
import type { HistoryListDocument, HistoryOneDocument } from '../../src/state/deployment-wire.js';
import { FileStateStore } from '../../src/state/file/file-store.js';
import { Records } from '../../src/state/records.js';
import { DeployEnv } from '../support/deploy-env.js';
import { sleeperJob } from '../support/jobs.js';
import { assertMatchesSchema } from '../support/json-schemas.js';
import { eventually } from '../support/waiting.js';

const job = (name: string, fields: Record<string, unknown> = {}, cmdline = 'exec sleep 1000') =>
  sleeperJob(name, fields, cmdline);
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

describe('plan and history JSON match their schemas', () => {
  let env: DeployEnv;
  const deployed: Record<'succeeded' | 'rolled_back' | 'rejected', string[]> = {
    succeeded: [],
    rolled_back: [],
    rejected: [],
  };

  const planJson = async (): Promise<PlanDocument> => {
    const run = await env.cli('plan', '-o', 'json', '--no-ask-leader');
    assert.equal(run.code, 0, run.stderr);
    return assertMatchesSchema<PlanDocument>('plan', run.stdout);
  };
  const actionsOf = (plan: PlanDocument) =>
    plan.changes.map((change) => [change.job.split('/')[3], change.action]);
  const reconcile = async (commit: string, outcome: keyof typeof deployed, ...flags: string[]) => {
    const run = await env.cli('reconcile', '--ref', commit, ...flags);
    const record = (await env.cli('history', commit, '-o', 'json')).stdout;
    assert.equal(
      (JSON.parse(record) as HistoryOneDocument).deployment.outcome,
      outcome,
      run.stdout + run.stderr,
    );
    deployed[outcome].push(commit);
  };
  /** A crash: a kill through the cluster port is Borealis's own, and neither defers nor counts. */
  const killInstance = async (name: string) => {
    const [victim] = await env.liveTasks(name);
    env.crashMainProcess(victim!.taskId);
    await eventually(
      async () => (await env.liveTasks(name)).every((task) => task.taskId !== victim!.taskId),
      10_000,
      'the crashed task to end',
      20,
    );
  };

  const crashAndPlan = async () => {
    await killInstance('a');
    return planJson();
  };

  before(() => {
    env = new DeployEnv();
  });
  after(() => env.cleanup());

  it('create, then noop once applied', async () => {
    const commit = env.commitJobs('three jobs', [job('a'), job('b'), job('c')]);
    const created = await planJson();
    assert.deepEqual(actionsOf(created), [
      ['a', 'create'],
      ['b', 'create'],
      ['c', 'create'],
    ]);
    assert.equal(created.commit, commit);
    await reconcile(commit, 'succeeded');
    const converged = await planJson();
    assert.deepEqual(converged.changes, []);
    assert.equal(converged.summary.noop, 3);
  });

  it('a plan of uncommitted files says so and names them', async () => {
    const base = env.repo.git('rev-parse', 'HEAD');
    env.repo.write({ 'jobs/d.yaml': stringify(job('d')) });
    try {
      const preview = await planJson();
      assert.deepEqual(preview.source, {
        kind: 'working_tree',
        base_commit: base,
        changed_files: ['jobs/d.yaml'],
      });
      assert.deepEqual(actionsOf(preview), [['d', 'create']]);
    } finally {
      env.repo.git('clean', '-fdq', '--', 'jobs');
    }
    assert.equal((await planJson()).source, undefined, 'a clean tree plans the commit');
  });

  it('update with a field diff, scale and kill', async () => {
    const commit = env.commitJobs('change a, scale b, drop c', [
      job('a', {}, 'exec sleep 2000'),
      job('b', { instances: 2 }),
    ]);
    const planned = await planJson();
    assert.deepEqual(actionsOf(planned), [
      ['a', 'update'],
      ['b', 'scale'],
      ['c', 'kill'],
    ]);
    const update = planned.changes[0]!;
    assert.deepEqual(update.diff, [
      { path: 'task.processes[0].cmdline', from: 'exec sleep 1000', to: 'exec sleep 2000' },
    ]);
    assert.notEqual(update.from?.config_hash, update.to?.config_hash);
    await reconcile(commit, 'succeeded');
  });

  it('a lost instance: its relaunch deferred by the back-off, then healed', async () => {
    // Each end of the instance doubles its back-off (1 s, 2 s, 4 s...): on a machine so busy
    // that a plan outlasts the back-off, the instance is healed and ended again until one does not.
    let deferred = await crashAndPlan();
    for (let attempt = 1; deferred.changes[0]?.action === 'heal' && attempt < 6; attempt++) {
      await reconcile(env.repo.git('rev-parse', 'HEAD'), 'succeeded');
      deferred = await crashAndPlan();
    }
    const [waiting] = deferred.changes;
    assert.deepEqual([waiting?.action, waiting?.deferred.map((each) => each.instance)], ['noop', [0]]);
    const retryAt = waiting!.deferred[0]!.retry_at;
    assert.equal(deferred.next_wake_at, retryAt);
    // The relaunch is due at a time the plan states; the next plan after it heals.
    await delay(Math.max(0, Date.parse(retryAt) - Date.now() + 1));
    const healed = await planJson();
    assert.deepEqual(actionsOf(healed), [['a', 'heal']]);
    assert.deepEqual(healed.changes[0]!.instances.heal, [0]);
    await reconcile(env.repo.git('rev-parse', 'HEAD'), 'succeeded');
  });

  it('an orphan, and a plan that would kill too much at once', async () => {
    const store = await FileStateStore.open(join(env.state, 'store'));
    await new Records(store).deleteJob('local/www-data/prod/b').finally(() => store.close());
    env.commitJobs('forget b', [job('a', {}, 'exec sleep 2000')]);
    assert.deepEqual(actionsOf(await planJson()), [['b', 'orphan']]);
    env.commitJobs('nothing left', []);
    const emptied = await planJson();
    assert.deepEqual(actionsOf(emptied), [
      ['a', 'kill'],
      ['b', 'orphan'],
    ]);
    assert.match(emptied.mass_kill?.message ?? '', /would kill every running job/);
    env.repo.git('reset', '-q', '--hard', 'HEAD~1');
    // Killing b after c (an earlier commit) is two of three running jobs within the window.
    await reconcile(env.repo.git('rev-parse', 'HEAD'), 'succeeded', '--allow-mass-kill');
  });

  it('a rolled-back update is held; healing its job says so', async () => {
    const broken = env.commitJobs('break a', [job('a', { update_config: { watch_secs: 1 } }, 'exit 1')]);
    await reconcile(broken, 'rolled_back');
    await killInstance('a');
    const planned = await planJson();
    const [change] = planned.changes;
    // The failed launches may have put instance 0 in back-off: then its relaunch is deferred.
    assert.ok(change?.action === 'heal' || change?.deferred.length === 1, JSON.stringify(planned));
    assert.equal(change.held?.commit, broken);
    assert.equal(change.held.outcome, 'rolled_back');
    assert.match(change.held.at, ISO_UTC);
    await reconcile(env.commitJobs('fix a', [job('a', {}, 'exec sleep 3000')]), 'succeeded');
  });

  it('a commit with problems: its errors, versioned', async () => {
    const commit = env.repo.commit('broken yaml', { 'jobs/a.yaml': 'name: [unclosed' });
    const run = await env.cli('plan', '-o', 'json', '--no-ask-leader');
    assert.equal(run.code, 1);
    const rejected = assertMatchesSchema<{ errors: { file: string }[] }>('plan', run.stdout);
    assert.deepEqual(
      rejected.errors.map((error) => error.file),
      ['jobs/a.yaml'],
    );
    await reconcile(commit, 'rejected');
  });

  it('history lists every deployment, and shows each one, in the published form', async () => {
    const listed = await env.cli('history', '-o', 'json');
    assert.equal(listed.code, 0, listed.stderr);
    const history = assertMatchesSchema<HistoryListDocument>('history', listed.stdout);
    const all = [...deployed.succeeded, ...deployed.rolled_back, ...deployed.rejected];
    assert.deepEqual(new Set(history.deployments.map((d) => d.commit)), new Set(all));
    for (const [outcome, commits] of Object.entries(deployed)) {
      for (const commit of commits) {
        const shown = await env.cli('history', commit.slice(0, 10), '-o', 'json');
        const { deployment } = assertMatchesSchema<HistoryOneDocument>('history', shown.stdout);
        assert.equal(deployment.outcome, outcome);
        assert.match(deployment.date, ISO_UTC);
        for (const event of deployment.jobs.flatMap((each) => each.events)) assert.match(event.at, ISO_UTC);
      }
    }
    const rejected = history.deployments.find((d) => d.outcome === 'rejected');
    assert.equal(rejected?.errors[0]?.file, 'jobs/a.yaml');
    const rolledBack = history.deployments.find((d) => d.outcome === 'rolled_back');
    assert.ok(
      rolledBack?.jobs.some((each) => each.events.length > 0),
      'the rollback recorded events',
    );
  });
});
