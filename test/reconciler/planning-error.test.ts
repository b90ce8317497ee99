/**
 * An error of the environment while planning (a store or cluster out of reach) is not a
 * crash: the daemon that met it clears its planning marker, so a restarted daemon plans the
 * commit again instead of failing it as DEPLOY_CRASHED (which only a reconciler that died
 * in the middle of planning deserves). Real Git, the real local cluster, real daemons.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { FAILPOINT_ENV } from '../../src/reconciler/failpoint.js';
import { DeployEnv } from '../support/deploy-env.js';
import { readDeployment } from '../support/daemon-env.js';
import { sleeperJob } from '../support/jobs.js';
import { ReconcilerProcess } from '../support/reconciler-process.js';

const web = (version: string) =>
  sleeperJob('web', { instances: 1, update_config: { watch_secs: 0 } }, `echo ${version}; exec sleep 1000`);

describe('an error of the environment while planning', () => {
  let env: DeployEnv;
  let next: string;
  let running: ReconcilerProcess | undefined;

  before(async () => {
    env = new DeployEnv();
    env.commitJobs('v1', [web('v1')]);
    const applied = await env.cli('reconcile');
    assert.equal(applied.code, 0, applied.stdout + applied.stderr);
    next = env.commitJobs('v2', [web('v2')]);
  });
  after(async () => {
    running?.kill('SIGTERM');
    await running?.exited;
    await env.cleanup();
  });

  const daemon = (name: string, extra: Record<string, string> = {}) =>
    new ReconcilerProcess(name, {
      repo: env.repo.dir,
      state: env.state,
      watchArgs: ['--listen', '127.0.0.1:0', '--resync', '1'],
      env: extra,
    });

  it('leaves the record open with no crash marker, and a restarted daemon deploys the commit', async () => {
    running = daemon('first', { [FAILPOINT_ENV]: `planning:unreachable:${next}` });
    await running.waitFor(/pass failed.*injected fault while planning/, 30_000);
    running.kill('SIGTERM');
    await running.exited;
    const stopped = await readDeployment(env, next);
    assert.equal(stopped?.outcome, 'in_progress');
    assert.equal(stopped?.attempt, undefined, 'no reconciler died planning it');

    running = daemon('restarted');
    await running.waitFor(/"v2" by Ada Author: succeeded/, 60_000);
    const record = await readDeployment(env, next);
    assert.equal(record?.outcome, 'succeeded', record?.detail);
    assert.equal(
      record?.sequence,
      stopped.sequence,
      'the open record was finished, not a second one written',
    );
    assert.ok((await env.liveTasks('web')).every((task) => task.commit === next));
  });
});
