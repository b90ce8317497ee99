/**
 * Every failure an operator can fix is one line `borealis: CODE: message`, at most one
 * `hint:` line, no stack, and a documented exit code (README, "Exit codes"). Each row runs
 * the real command as its own process.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { TempGitRepo } from '../support/git-repo.js';
import { LOCAL_CLUSTERS, sleeperJob } from '../support/jobs.js';
import { runBin, type CliRun } from '../support/run-cli.js';

interface Row {
  name: string;
  /** The arguments, given the repository and a state directory of this test. */
  args: (at: Fixture) => string[];
  code: string;
  exit: number;
  /** What the message must also say. */
  says?: (at: Fixture) => RegExp;
  env?: NodeJS.ProcessEnv;
}

interface Fixture {
  repo: string;
  state: string;
  /** A port nothing listens on. */
  closedPort: number;
  /** A port something else listens on. */
  takenPort: number;
}

const ROWS: Row[] = [
  {
    name: 'a global numeric flag that is not a number',
    args: () => ['--history-limit', 'abc', 'status'],
    code: 'BAD_OPTION_VALUE',
    exit: 64,
  },
  { name: 'history -n abc', args: () => ['history', '-n', 'abc'], code: 'BAD_OPTION_VALUE', exit: 64 },
  { name: 'history -n 0', args: () => ['history', '-n', '0'], code: 'BAD_OPTION_VALUE', exit: 64 },
  {
    name: 'watch --resync abc',
    args: () => ['watch', '--resync', 'abc'],
    code: 'BAD_OPTION_VALUE',
    exit: 64,
    says: () => /--resync/,
  },
  {
    name: 'watch --interval 0',
    args: () => ['watch', '--interval', '0'],
    code: 'BAD_OPTION_VALUE',
    exit: 64,
  },
  {
    name: 'watch --flap-threshold -1',
    args: () => ['watch', '--flap-threshold', '-1'],
    code: 'BAD_OPTION_VALUE',
    exit: 64,
  },
  {
    name: 'watch --listen that is no address',
    args: () => ['watch', '--listen', 'nowhere'],
    code: 'BAD_OPTION_VALUE',
    exit: 64,
  },
  {
    name: 'an unknown option',
    args: () => ['status', '--foo'],
    code: 'UNKNOWN_OPTION',
    exit: 64,
    says: () => /unknown option '--foo'/,
  },
  {
    name: 'an unknown command, with a suggestion',
    args: () => ['stauts'],
    code: 'UNKNOWN_COMMAND',
    exit: 64,
    says: () => /did you mean status\?/,
  },
  {
    name: 'a missing argument',
    args: () => ['logs'],
    code: 'USAGE',
    exit: 64,
  },
  {
    name: 'status --cluster that clusters.yaml does not declare',
    args: ({ repo, state }) => ['--repo', repo, '--state', state, 'status', '--cluster', 'nosuch'],
    code: 'UNKNOWN_CLUSTER',
    exit: 1,
    says: () => /"nosuch".*declared: local/,
  },
  {
    name: 'validate --ref of no commit',
    args: ({ repo }) => ['validate', repo, '--ref', 'nosuchref'],
    code: 'NO_SUCH_COMMIT',
    exit: 1,
  },
  {
    name: 'plan --ref of no commit',
    args: ({ repo, state }) => [
      '--repo',
      repo,
      '--state',
      state,
      'plan',
      '--no-ask-leader',
      '--ref',
      'nosuchref',
    ],
    code: 'NO_SUCH_COMMIT',
    exit: 1,
  },
  {
    name: 'a state directory under a file (ENOTDIR)',
    args: ({ repo }) => ['--repo', repo, '--state', '/dev/null/x', 'status'],
    code: 'STATE_UNUSABLE',
    exit: 1,
    says: () => /\/dev\/null\/x/,
  },
  {
    name: 'a corrupt record in the state directory',
    args: ({ repo, state }) => ['--repo', repo, '--state', corruptState(state), 'status'],
    code: 'STATE_CORRUPT',
    exit: 1,
    says: ({ state }) => new RegExp(join(state, 'corrupt', 'store', 'applied.json')),
  },
  {
    name: 'ZooKeeper unreachable',
    args: ({ repo, closedPort }) => ['--repo', repo, '--state', `zk://127.0.0.1:${closedPort}/x`, 'status'],
    code: 'ZK_UNREACHABLE',
    exit: 1,
  },
  {
    name: 'watch on an address another process uses',
    args: ({ repo, state, takenPort }) => [
      '--repo',
      repo,
      '--state',
      state,
      'watch',
      '--listen',
      `127.0.0.1:${takenPort}`,
    ],
    code: 'ADDRESS_IN_USE',
    exit: 1,
    says: ({ takenPort }) => new RegExp(`127\\.0\\.0\\.1:${takenPort}`),
  },
];

/** A state directory whose applied-commit record is not JSON. */
function corruptState(state: string): string {
  const dir = join(state, 'corrupt');
  mkdirSync(join(dir, 'store'), { recursive: true });
  writeFileSync(join(dir, 'store', 'applied.json'), '{"version": 0, "value": ');
  return dir;
}

describe('operational failures', () => {
  let repo: TempGitRepo;
  let state: string;
  let taken: Server;
  let fixture: Fixture;

  before(async () => {
    repo = new TempGitRepo('borealis-errors-');
    repo.commit('one job', { 'clusters.yaml': LOCAL_CLUSTERS, 'jobs/a.yaml': stringify(sleeperJob('a')) });
    state = mkdtempSync(join(tmpdir(), 'borealis-errors-state-'));
    taken = await listening();
    const closed = await listening();
    const closedPort = portOf(closed);
    await new Promise((resolve) => closed.close(resolve));
    fixture = { repo: repo.dir, state, closedPort, takenPort: portOf(taken) };
  });

  after(() => {
    taken.close();
    repo.remove();
    rmSync(state, { recursive: true, force: true });
  });

  for (const row of ROWS) {
    it(`${row.name}: ${row.code}, exit ${row.exit}`, async () => {
      const run = await runBin(row.args(fixture), { cwd: tmpdir(), env: row.env });
      assertOneLine(run, row.code);
      assert.equal(run.code, row.exit, run.stderr);
      if (row.says) assert.match(run.stderr, row.says(fixture));
    });
  }

  it('BOREALIS_DEBUG=1 adds the stack to an operational failure', async () => {
    const run = await runBin(['--repo', fixture.repo, '--state', '/dev/null/x', 'status'], {
      env: { BOREALIS_DEBUG: '1' },
    });
    assert.match(run.stderr, /^borealis: STATE_UNUSABLE: /);
    assert.match(run.stderr, /\n {4}at /);
    assert.equal(run.code, 1);
  });
});

function assertOneLine(run: CliRun, code: string): void {
  const lines = run.stderr.split('\n').filter((line) => line !== '');
  assert.ok(lines.length === 1 || lines.length === 2, `one error line and a hint, got:\n${run.stderr}`);
  assert.match(lines[0]!, new RegExp(`^borealis: ${code}: \\S`), run.stderr);
  if (lines[1] !== undefined) assert.match(lines[1], /^hint: \S/, run.stderr);
  assert.doesNotMatch(run.stderr, / {4}at /, 'no stack');
}

function listening(): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

function portOf(server: Server): number {
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('not a TCP server');
  return address.port;
}
