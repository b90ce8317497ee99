/**
 * What `borealis watch` logs: each deployment as it starts (commit, author, subject) and
 * ends, a rejected commit's problems one per line, and with `--log-format json` every line
 * one JSON object with time, level, msg and the line's fields.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createLog } from '../../src/util/log.js';
import { DeployEnv } from '../support/deploy-env.js';
import { sleeperJob } from '../support/jobs.js';
import { ReconcilerProcess } from '../support/reconciler-process.js';

type Line = Record<string, unknown> & { time: string; level: string; msg: string };

describe('the daemon log, --log-format json', () => {
  let env: DeployEnv;
  let reconciler: ReconcilerProcess;
  const parsed = () => reconciler.lines.map((line) => JSON.parse(line) as Line);
  const events = (event: string) => parsed().filter((line) => line.event === event);

  before(async () => {
    env = new DeployEnv();
    env.commitJobs('First web\n\nwith a body', [sleeperJob('web', { instances: 2 })]);
    reconciler = new ReconcilerProcess('json-log', {
      repo: env.repo.dir,
      state: env.state,
      watchArgs: ['--no-http', '--resync', '30', '--log-format', 'json'],
    });
    await reconciler.waitFor(/"outcome":"succeeded"/, 60_000);
  });
  after(async () => {
    reconciler.kill('SIGTERM');
    await reconciler.exited;
    await env.cleanup();
  });

  it('writes every line as one object with an ISO time, a level and a message', () => {
    for (const line of parsed()) {
      assert.equal(new Date(line.time).toISOString(), line.time);
      assert.ok(['info', 'warn', 'error'].includes(line.level), line.level);
      assert.equal(typeof line.msg, 'string');
    }
  });

  it('logs a deployment as it starts and as it ends, with commit, author and subject', () => {
    const commit = env.repo.git('rev-parse', 'HEAD').trim();
    const [started] = events('deployment_started');
    assert.deepEqual(
      { commit: started?.commit, author: started?.author, subject: started?.subject },
      { commit, author: 'Ada Author', subject: 'First web' },
    );
    assert.equal(started?.msg, `deploying ${commit.slice(0, 12)} "First web" by Ada Author`);
    const [finished] = events('deployment_finished');
    assert.equal(finished?.outcome, 'succeeded');
    const updated = parsed().filter(
      (line) => line.job === 'local/www-data/prod/web' && line.event === 'INSTANCE_UPDATED',
    );
    assert.deepEqual(
      updated.map((line) => line.total),
      [2, 2],
    );
  });

  it("logs a rejected commit's problems, each where it is, at most 20 and how many more", async () => {
    const bad = (n: number) => ({ ...sleeperJob(`bad${n}`), servce: true, instances: 'two' });
    const commit = env.commitJobs(
      'Broken',
      Array.from({ length: 11 }, (_, n) => bad(n)),
    );
    await reconciler.waitFor(/"validation_problem"[^\n]*"and 2 more"|"msg":" {2}and 2 more"/, 60_000);
    const [finished] = events('deployment_finished').filter((line) => line.commit === commit);
    assert.equal(finished?.outcome, 'rejected');
    assert.equal(finished?.reason, 'INVALID');
    assert.equal(finished?.detail, '22 validation problem(s); nothing applied');
    assert.match(finished?.msg ?? '', /: rejected: 22 validation problem\(s\); nothing applied$/);
    assert.equal(finished?.level, 'warn');
    const problems = events('validation_problem').filter((line) => line.commit === commit);
    assert.equal(problems.length, 21);
    const first = problems[0]!;
    assert.match(first.msg, /^ {2}jobs\/bad0\.yaml:\d+:\d+: (servce|instances): /);
    assert.equal(first.file, 'jobs/bad0.yaml');
    assert.equal(typeof first.line, 'number');
    assert.equal(problems.at(-1)!.msg, '  and 2 more');
  });
});

describe('createLog', () => {
  const at = () => new Date('2026-12-07T15:00:00.000Z');
  const written: string[] = [];
  const write = (text: string) => written.push(text);

  it('text: the time and the message, as the daemon always wrote', () => {
    createLog('text', write, at)('hello', { commit: 'abc' });
    assert.equal(written.pop(), '2026-12-07T15:00:00.000Z hello\n');
  });

  it('json: one object per line; fields never replace time, level or msg; undefined left out', () => {
    createLog('json', write, at)('hello', { commit: 'abc', msg: 'no', skipped: undefined }, 'warn');
    assert.equal(
      written.pop(),
      '{"time":"2026-12-07T15:00:00.000Z","level":"warn","msg":"hello","commit":"abc"}\n',
    );
  });
});
