/**
 * POST /api/cron/start on a real server (authenticated, answered by the leader's cron
 * scheduler), and `borealis cron start JOB` asking it: each answer mapped to one line and
 * an exit code.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { announceWatch } from '../../src/cli/compose/leader-address.js';
import type { RunningServer } from '../../src/server/app.js';
import type { CronStartAnswer } from '../../src/server/types.js';
import { runCli } from '../support/run-cli.js';
import { errorOf, listen, post, recorder } from './harness.js';

const TOKEN = 'open sesame';
const BACKUP = 'local/www-data/prod/backup';

/** What the fake scheduler answers, by job id; anything else is no cron job. */
const ANSWERS: Record<string, CronStartAnswer> = {
  [BACKUP]: { started: 'manual-20261208T0102Z-1' },
  'local/www-data/prod/busy': { skipped: 'run schedule-20261208T0100Z is still going (CANCEL_NEW)' },
  'local/www-data/prod/quiet': { paused: 'the job is paused (cron_paused: true)' },
  'local/www-data/prod/follower': {
    notLeader: 'this reconciler does not lead; the leader is host-b (HTTP 10.0.0.2:8080)',
  },
};

describe('POST /api/cron/start and borealis cron start', () => {
  let server: RunningServer;
  let asked: string[];
  let stateDir: string;
  let withdraw: () => Promise<void>;

  before(async () => {
    asked = [];
    server = await listen(
      recorder(
        {},
        {
          apiToken: TOKEN,
          startCronRun: (jobId) => {
            asked.push(jobId);
            return Promise.resolve(ANSWERS[jobId] ?? { unknown: `${jobId} is not a cron job` });
          },
        },
      ),
    );
    stateDir = mkdtempSync(join(tmpdir(), 'borealis-cron-start-'));
    withdraw = await announceWatch(stateDir, 'local', server.url);
  });
  after(async () => {
    await withdraw();
    await server.close();
    rmSync(stateDir, { recursive: true, force: true });
  });
  afterEach(() => delete process.env.BOREALIS_API_TOKEN);

  const start = (body: string, authorization?: string) =>
    post(`${server.url}/api/cron/start`, body, {
      'content-type': 'application/json',
      ...(authorization ? { authorization } : {}),
    });
  /** `token` null: BOREALIS_API_TOKEN unset. */
  const cli = (job: string, token: string | null = TOKEN, state = stateDir) => {
    if (token === null) delete process.env.BOREALIS_API_TOKEN;
    else process.env.BOREALIS_API_TOKEN = token;
    return runCli(['--state', state, 'cron', 'start', job]);
  };

  it('starts a run with the token: 202 and the run id', async () => {
    const answer = await start(JSON.stringify({ job: BACKUP }), `Bearer ${TOKEN}`);
    assert.deepEqual(
      [answer.status, answer.body],
      [202, { outcome: 'started', run_id: 'manual-20261208T0102Z-1' }],
    );
    assert.equal(asked.at(-1), BACKUP);
  });

  it('refuses without the token or with another: 401, and asks the scheduler nothing', async () => {
    const before = asked.length;
    for (const authorization of [undefined, 'Bearer open', `Basic ${TOKEN}`]) {
      const answer = await start(JSON.stringify({ job: BACKUP }), authorization);
      assert.equal(answer.status, 401, String(authorization));
      assert.match(errorOf(answer), /POST \/api\/cron\/start needs Authorization: Bearer/);
    }
    assert.equal(asked.length, before);
  });

  it('answers each refusal with its status and outcome', async () => {
    const cases: [string, number, string][] = [
      ['local/www-data/prod/busy', 409, 'skipped'],
      ['local/www-data/prod/quiet', 409, 'paused'],
      ['local/www-data/prod/follower', 409, 'not_leader'],
      ['local/www-data/prod/web', 404, 'unknown'],
    ];
    for (const [job, status, outcome] of cases) {
      const answer = await start(JSON.stringify({ job }), `Bearer ${TOKEN}`);
      assert.deepEqual([answer.status, answer.body.outcome], [status, outcome], job);
      assert.equal(typeof answer.body.error, 'string');
    }
    const follower = await start(JSON.stringify({ job: 'local/www-data/prod/follower' }), `Bearer ${TOKEN}`);
    assert.match(errorOf(follower), /the leader is host-b/);
  });

  it('refuses a body that names no job: 400', async () => {
    for (const body of ['{}', '{"job": "backup"}', '{"job": 7}', '[]']) {
      const answer = await start(body, `Bearer ${TOKEN}`);
      assert.equal(answer.status, 400, body);
      assert.match(errorOf(answer), /cluster\/role\/environment\/name/);
    }
  });

  it('answers 503 where no cron scheduler runs', async () => {
    const plain = await listen(recorder({}, { apiToken: TOKEN }));
    try {
      const answer = await post(`${plain.url}/api/cron/start`, JSON.stringify({ job: BACKUP }), {
        'content-type': 'application/json',
        authorization: `Bearer ${TOKEN}`,
      });
      assert.equal(answer.status, 503);
      assert.match(errorOf(answer), /cron scheduler not running: `borealis watch` runs cron jobs/);
    } finally {
      await plain.close();
    }
  });

  it('the command prints the run it started, the job named role/env/name on --cluster: exit 0', async () => {
    const run = await cli('www-data/prod/backup');
    assert.deepEqual(
      [run.code, run.stdout, run.stderr],
      [0, `started run manual-20261208T0102Z-1 of ${BACKUP}\n`, ''],
    );
  });

  it('maps each refusal to one line with its code and an exit code', async () => {
    const cases: [string, string | null, number, RegExp][] = [
      [
        'www-data/prod/busy',
        TOKEN,
        3,
        /CRON_SKIPPED: no run of .*busy started: run schedule-\S+ is still going/,
      ],
      ['www-data/prod/quiet', TOKEN, 3, /CRON_PAUSED: no run of .*quiet started: the job is paused/],
      ['www-data/prod/web', TOKEN, 1, /UNKNOWN_JOB: local\/www-data\/prod\/web is not a cron job/],
      ['www-data/prod/follower', TOKEN, 1, /NOT_LEADER: .*the leader is host-b/],
      ['www-data/prod/backup', 'wrong', 1, /API_UNAUTHORIZED: POST \/api\/cron\/start needs/],
      ['www-data/prod/backup', null, 1, /API_UNAUTHORIZED: BOREALIS_API_TOKEN is not set/],
      ['backup', TOKEN, 1, /BAD_TARGET: backup: expected a job/],
    ];
    for (const [job, token, code, message] of cases) {
      const run = await cli(job, token);
      assert.equal(run.code, code, `${job}: ${run.stderr}`);
      assert.match(run.stderr, message);
      assert.match(run.stderr, /hint: /, 'a hint goes with it');
      assert.equal(run.stdout, '');
    }
  });

  it('says clearly when no daemon runs: `borealis watch` runs cron jobs', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'borealis-cron-none-'));
    try {
      const run = await cli('www-data/prod/backup', TOKEN, empty);
      assert.equal(run.code, 1, run.stderr);
      assert.match(
        run.stderr,
        /NO_DAEMON: no reconciler to start local\/www-data\/prod\/backup: no watch runs/,
      );
      assert.match(run.stderr, /`borealis watch --listen ADDRESS` runs cron jobs/);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
