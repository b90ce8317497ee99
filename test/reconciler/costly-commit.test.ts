/**
 * A commit that would cost minutes of CPU or gigabytes to load (issue 21): under `watch`
 * it is recorded rejected with the limit it broke, nothing is applied, and the daemon's
 * HTTP server answers /healthz within a second the whole time.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { serverDeps } from '../../src/cli/watch-daemon.js';
import { startServer, type RunningServer } from '../../src/server/app.js';
import { DeployEnv } from '../support/deploy-env.js';
import { startDaemon, type RunningDaemon } from '../support/daemon-env.js';
import { sleeperJob } from '../support/jobs.js';
import { budgetMs } from '../support/time-scale.js';
import { stringify } from 'yaml';

describe('a costly commit under watch', () => {
  let env: DeployEnv;
  let running: RunningDaemon;
  let server: RunningServer;

  before(async () => {
    env = new DeployEnv();
    env.commitJobs('first job', [sleeperJob('a')]);
    running = await startDaemon(env, { loadLimits: { maxFileBytes: 512 * 1024, maxCommitBytes: 2 ** 20 } });
    const deps = { records: running.records, cluster: env.observer(), deployments: running.deployments };
    server = await startServer(
      serverDeps(running.daemon, deps, 'local', {}, () => {}),
      '127.0.0.1:0',
      { log: () => undefined },
    );
    await running.recordOf(env.repo.git('rev-parse', 'HEAD'));
  });
  after(async () => {
    await server.close();
    await running.stop();
    await env.cleanup();
  });

  /** Probes /healthz one after another until `done` settles; the slowest answer, in ms. */
  const slowestHealthz = async (done: Promise<unknown>): Promise<number> => {
    let finished = false;
    void done.finally(() => (finished = true));
    let slowest = 0;
    while (!finished) {
      const started = performance.now();
      const response = await fetch(`${server.url}/healthz`, { signal: AbortSignal.timeout(budgetMs(5000)) });
      assert.equal(response.status, 200);
      await response.arrayBuffer();
      slowest = Math.max(slowest, performance.now() - started);
    }
    return slowest;
  };

  for (const [name, files, expected] of [
    [
      '300 KB of ../ in extends (25 s of CPU before it was bounded)',
      { 'jobs/a.yaml': `extends: ${'../'.repeat(100_000)}x.yaml\n${stringify(sleeperJob('a'))}` },
      /^extends: must be at most 1024 characters \(got 300006\)$/,
    ],
    [
      'a job file over the size limit',
      { 'jobs/a.yaml': `${stringify(sleeperJob('a'))}# ${'x'.repeat(600 * 1024)}\n` },
      /^this file is 600\.\d KiB, more than the limit of 512 KiB per file \(--max-file-size\); it was not read$/,
    ],
  ] as const) {
    it(`${name}: rejected and recorded, /healthz answering within a second throughout`, async () => {
      const before = (await env.liveTasks()).map((task) => task.taskId).sort();
      const commit = env.repo.commit(name, files);
      const record = running.recordOf(commit);
      const slowest = await slowestHealthz(record);
      const rejected = await record;
      assert.equal(rejected.outcome, 'rejected');
      assert.equal(rejected.errors.length, 1);
      const [problem] = rejected.errors;
      assert.match(`${problem!.path ? `${problem!.path}: ` : ''}${problem!.message}`, expected);
      assert.ok(slowest < budgetMs(1000), `the slowest /healthz answer took ${Math.round(slowest)} ms`);
      assert.deepEqual((await env.liveTasks()).map((task) => task.taskId).sort(), before, 'nothing applied');
    });
  }
});
