/** `borealis logs`: the last lines of a process's log, and an unknown process as an error that names the others. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { lastLines } from '../../src/cli/tail.js';
import { DeployEnv } from '../support/deploy-env.js';
import { sleeperJob } from '../support/jobs.js';
import { eventually } from '../support/waiting.js';

const JOB = 'www-data/prod/web/0';

describe('borealis logs', () => {
  let env: DeployEnv;
  before(async () => {
    env = new DeployEnv();
    env.commitJobs('web', [
      sleeperJob('web', {}, 'for i in 1 2 3 4 5; do echo line $i; done; exec sleep 1000'),
    ]);
    const applied = await env.cli('reconcile');
    assert.equal(applied.code, 0, applied.stdout + applied.stderr);
    await eventually(
      async () => (await env.cli('logs', JOB, 'main')).stdout.includes('line 5'),
      10_000,
      'the log',
    );
  });
  after(() => env.cleanup());

  it('prints the whole log, or with -n/--tail only its last lines', async () => {
    assert.equal((await env.cli('logs', JOB, 'main')).stdout, 'line 1\nline 2\nline 3\nline 4\nline 5\n');
    assert.equal((await env.cli('logs', JOB, 'main', '-n', '2')).stdout, 'line 4\nline 5\n');
    assert.equal((await env.cli('logs', JOB, '--tail', '0')).stdout, '');
  });

  it('refuses a line count that is not a whole number', async () => {
    const run = await env.cli('logs', JOB, '-n', 'abc');
    assert.notEqual(run.code, 0);
    assert.equal(run.stdout, '');
  });

  it('an unknown process is an error naming the processes the task has', async () => {
    const run = await env.cli('logs', JOB, 'nosuchproc');
    assert.equal(run.code, 1);
    assert.equal(run.stdout, '');
    assert.match(run.stderr, /UNKNOWN_PROCESS: task \S+ has no process "nosuchproc"/);
    assert.match(run.stderr, /its processes: main/);
  });
});

describe('lastLines', () => {
  const dir = mkdtempSync(join(tmpdir(), 'borealis-tail-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };

  it('keeps the file ending as it is, and reads back across chunks', async () => {
    assert.equal(await lastLines(file('a', 'a\nb\nc\n'), 2), 'b\nc\n');
    assert.equal(await lastLines(file('b', 'a\nb\nc'), 2), 'b\nc');
    assert.equal(await lastLines(file('c', 'a\n'), 5), 'a\n');
    assert.equal(await lastLines(file('d', ''), 3), '');
    assert.equal(await lastLines(join(dir, 'missing'), 3), '');
    const long = Array.from({ length: 50_000 }, (_, i) => `line ${i}`).join('\n');
    assert.equal(await lastLines(file('e', `${long}\n`), 3), 'line 49997\nline 49998\nline 49999\n');
    assert.equal(
      await lastLines(file('f', `${long}\n`), 20_000),
      `${long.split('\n').slice(-20_000).join('\n')}\n`,
    );
  });
});
