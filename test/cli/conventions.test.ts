/** Command-line conventions: --version, when output is coloured, and what a mistake prints. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { useColour } from '../../src/cli/colour.js';
import { main } from '../../src/cli/main.js';
import { TempGitRepo } from '../support/git-repo.js';
import { LOCAL_CLUSTERS, sleeperJob } from '../support/jobs.js';
import { runCli } from '../support/run-cli.js';

/** The escape that starts every colour sequence. */
const ESC = String.fromCharCode(27);

const VERSION = (
  JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

describe('--version', () => {
  for (const flag of ['--version', '-V']) {
    it(`${flag} prints the package version`, async () => {
      const run = await runCli([flag]);
      assert.equal(run.code, 0);
      assert.equal(run.stdout, `${VERSION}\n`);
    });
  }
});

describe('a mistake on the command line', () => {
  const mistakes: [string, string[], string][] = [
    [
      'an unknown option: the suggestion and a pointer to the help, not the usage',
      ['status', '--outptu', 'json'],
      "borealis: UNKNOWN_OPTION: unknown option '--outptu' (did you mean --output?)\nhint: see 'borealis status --help'\n",
    ],
    [
      'an unknown subcommand: the help of the command it is under',
      ['local', 'dwn'],
      "borealis: UNKNOWN_COMMAND: unknown command 'dwn' (did you mean down?)\nhint: see 'borealis local --help'\n",
    ],
  ];
  for (const [name, args, expected] of mistakes) {
    it(name, async () => {
      const run = await runCli(args);
      assert.equal(run.code, 64);
      assert.equal(run.stderr, expected);
    });
  }

  it('no command: the usage, exit 64', async () => {
    const run = await runCli(['local']);
    assert.equal(run.code, 64);
    assert.match(run.stderr, /^Usage: borealis local /);
  });

  it('--help still prints the usage, exit 0', async () => {
    const run = await runCli(['status', '--help']);
    assert.equal(run.code, 0);
    assert.match(run.stdout, /^Usage: borealis status /);
  });
});

describe('colour', () => {
  const tty = { isTTY: true };
  const cases: [string, { isTTY?: boolean }, boolean | undefined, NodeJS.ProcessEnv, boolean][] = [
    ['a terminal', tty, undefined, {}, true],
    ['not a terminal', {}, undefined, {}, false],
    ['--no-color', tty, false, {}, false],
    ['NO_COLOR=1', tty, undefined, { NO_COLOR: '1' }, false],
    ['NO_COLOR=0 (any value)', tty, undefined, { NO_COLOR: '0' }, false],
    ['NO_COLOR empty', tty, undefined, { NO_COLOR: '' }, true],
    ['TERM=dumb', tty, undefined, { TERM: 'dumb' }, false],
  ];
  for (const [name, stream, flag, env, expected] of cases) {
    it(`${name}: ${expected ? 'colour' : 'none'}`, () => {
      assert.equal(useColour(stream, flag, env), expected);
    });
  }

  describe('in a plan printed to a terminal', () => {
    let repo: TempGitRepo;
    let state: string;
    const environment = { NO_COLOR: process.env.NO_COLOR, TERM: process.env.TERM };
    before(async () => {
      // The decision reads the environment: start from a colour terminal's.
      delete process.env.NO_COLOR;
      process.env.TERM = 'xterm-256color';
      repo = new TempGitRepo('borealis-colour-');
      repo.commit('one job', { 'clusters.yaml': LOCAL_CLUSTERS, 'jobs/a.yaml': stringify(sleeperJob('a')) });
      state = await mkdtemp(join(tmpdir(), 'borealis-colour-state-'));
    });
    after(async () => {
      Object.assign(process.env, environment);
      for (const [name, value] of Object.entries(environment))
        if (value === undefined) delete process.env[name];
      repo.remove();
      await rm(state, { recursive: true, force: true });
    });

    const planOnTerminal = async (...flags: string[]) => {
      const stdout = Object.assign(new PassThrough(), { isTTY: true });
      const chunks: Buffer[] = [];
      stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
      const args = ['--repo', repo.dir, '--state', state, ...flags, 'plan', '--no-ask-leader'];
      const code = await main(['node', 'borealis', ...args], { stdout, stderr: new PassThrough() });
      assert.equal(code, 0);
      return Buffer.concat(chunks).toString('utf8');
    };

    it('is coloured by default', async () => {
      assert.match(await planOnTerminal(), new RegExp(`${ESC}\\[32m {2}\\+ local/www-data/prod/a`));
    });

    it('is plain with --no-color', async () => {
      const text = await planOnTerminal('--no-color');
      assert.match(text, /^ {2}\+ local\/www-data\/prod\/a/m);
      assert.doesNotMatch(text, new RegExp(`${ESC}\\[`));
    });

    it('is plain with NO_COLOR set', async () => {
      process.env.NO_COLOR = '1';
      try {
        assert.doesNotMatch(await planOnTerminal(), new RegExp(`${ESC}\\[`));
      } finally {
        delete process.env.NO_COLOR;
      }
    });
  });
});
