/**
 * What `watch` repairs on its own (here an unreadable jobs stamp, moved aside) is a line
 * of its log, in the log's format and at level `warn`, not a stray line on standard error:
 * with `--log-format json` every line the daemon prints is one JSON object.
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DeployEnv } from '../support/deploy-env.js';
import { ReconcilerProcess } from '../support/reconciler-process.js';

describe('watch: warnings in the daemon log', () => {
  let env: DeployEnv;
  let reconciler: ReconcilerProcess;

  before(async () => {
    env = new DeployEnv();
    env.commitJobs('no jobs', []);
    mkdirSync(join(env.state, 'store'), { recursive: true });
    writeFileSync(join(env.state, 'store', 'jobs-stamp.json'), 'not json at all');
    reconciler = new ReconcilerProcess('warnings', {
      repo: env.repo.dir,
      state: env.state,
      watchArgs: ['--no-http', '--resync', '30', '--log-format', 'json'],
    });
    await reconciler.waitFor(/jobs-stamp/, 60_000);
    await reconciler.waitFor(/"event":"deployment_finished"/, 60_000);
  });
  after(async () => {
    reconciler.kill('SIGTERM');
    await reconciler.exited;
    await env.cleanup();
  });

  it('logs the repair as a JSON line at level warn', () => {
    const line = reconciler.lines.find((text) => text.includes('jobs-stamp'))!;
    const parsed = JSON.parse(line) as Record<string, unknown>;
    assert.equal(parsed.level, 'warn');
    assert.equal(parsed.event, 'warning');
    assert.match(String(parsed.msg), /^warning: .*jobs-stamp.*moved to/);
  });

  it('prints nothing that is not a JSON line', () => {
    for (const line of reconciler.lines) assert.doesNotThrow(() => JSON.parse(line), line);
  });
});
