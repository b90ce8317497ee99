/**
 * The fuzz corpus: seeded mutants of example-repo/ (absurd numbers, wrong types, unknown
 * keys, tags, anchors, duplicate keys, invalid UTF-8, NUL bytes, truncated files, document
 * markers, odd `extends`, deleted and renamed files). Whatever a commit holds, Borealis must
 * answer with exit 0 or 1, in time, in bounded memory, and never with an internal error.
 *
 * Many mutants go through `validate` in this process; a few through the real command, as
 * `validate` and `plan` on the local cluster, in a process whose heap is capped so that a
 * memory blow-up is a crash. BOREALIS_FUZZ_SEED and BOREALIS_FUZZ_CASES change the seed and
 * the number of in-process cases; a failure names the seed and case that reproduce it.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { exampleFiles } from '../support/example-repo.js';
import { TempGitRepo } from '../support/git-repo.js';
import { caseSeed, MUTATIONS, mutate, Random, type Mutant, type RepoBytes } from '../support/repo-mutator.js';
import { BIN, runCli, type CliRun } from '../support/run-cli.js';
import { deadlineMs } from '../support/time-scale.js';

const DEFAULT_SEED = 21;
const DEFAULT_CASES = 250;
/** Each costs two processes (validate, plan): a second or two on a quiet machine. */
const CLI_CASES = 8;
/** A heap this size holds any repository here many times over; a blow-up crashes instead. */
const HEAP_LIMIT_MB = 256;

/**
 * Mutations whose failures belong to work not merged yet, each with the reason; mutants
 * are drawn without them. Empty this list as that work lands.
 */
const KNOWN_OPEN: Record<string, string> = {};

const SEED = numberFromEnvironment('BOREALIS_FUZZ_SEED', DEFAULT_SEED);
const CASES = numberFromEnvironment('BOREALIS_FUZZ_CASES', DEFAULT_CASES);
const KINDS = Object.keys(MUTATIONS).filter((kind) => !(kind in KNOWN_OPEN));
const BASE = new Map(Object.entries(exampleFiles()));

function numberFromEnvironment(name: string, fallback: number): number {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 0)
    throw new Error(`${name} must be a whole number, not "${text}"`);
  return value;
}

function mutant(index: number, first?: string): Mutant {
  return mutate(BASE, new Random(caseSeed(SEED, index)), KINDS, first);
}

/** What is wrong with how a run ended, or undefined when it ended as it may. */
function wrongEnding(run: CliRun & { signal?: string | null; timedOut?: boolean }): string | undefined {
  if (run.timedOut) return 'did not finish before its deadline';
  if (run.signal) return `killed by ${run.signal}`;
  if (run.code !== 0 && run.code !== 1) return `exit code ${run.code}`;
  if (/internal error|please report/i.test(run.stderr)) return 'internal error';
  if (/^\s+at .+:\d+:\d+\)?$/m.test(run.stderr)) return 'stack trace on stderr';
  return undefined;
}

function describeFailure(index: number, command: string, problem: string, run: CliRun, mutations: string[]) {
  return [
    `BOREALIS_FUZZ_SEED=${SEED} case ${index}: ${command}: ${problem}`,
    ...mutations.map((mutation) => `  - ${mutation}`),
    `  stderr: ${run.stderr.slice(0, 600).replace(/\n/g, '\n          ')}`,
  ].join('\n');
}

async function writeRepo(dir: string, files: RepoBytes): Promise<void> {
  for (const [path, content] of files) {
    const full = join(dir, path);
    await mkdir(dirname(full), { recursive: true });
    await writeFile(full, content);
  }
}

describe('fuzz corpus', () => {
  it(
    `${CASES} mutants of example-repo through validate, in process (seed ${SEED})`,
    {
      timeout: deadlineMs(120_000),
    },
    async () => {
      const failures: string[] = [];
      for (let index = 0; index < CASES; index++) {
        const { files, mutations } = mutant(index);
        const dir = await mkdtemp(join(tmpdir(), 'borealis-fuzz-'));
        try {
          await writeRepo(dir, files);
          const run = await runCli(['validate', dir]).catch((error: unknown): CliRun => ({
            code: -1,
            stdout: '',
            stderr: `threw: ${String(error)}`,
          }));
          const problem = wrongEnding(run);
          if (problem) failures.push(describeFailure(index, 'validate', problem, run, mutations));
        } finally {
          await rm(dir, { recursive: true, force: true });
        }
      }
      assert.deepEqual(failures, [], failures.join('\n\n'));
    },
  );

  describe(`${CLI_CASES} mutants through the borealis command, heap capped at ${HEAP_LIMIT_MB} MB`, () => {
    let repo: TempGitRepo;
    let state: string;
    before(async () => {
      repo = new TempGitRepo('borealis-fuzz-git-');
      repo.commit('The example repository', Object.fromEntries(BASE));
      state = await mkdtemp(join(tmpdir(), 'borealis-fuzz-state-'));
    });
    after(async () => {
      repo.remove();
      await rm(state, { recursive: true, force: true });
    });

    it(
      'the poison commit of issue 21: rejected, exit 1, within the heap',
      { timeout: deadlineMs(60_000) },
      async () => {
        const files: RepoBytes = new Map([...BASE].map(([path, text]) => [path, Buffer.from(text)]));
        const job = 'jobs/hello_world.yaml';
        files.set(job, Buffer.from(`${BASE.get(job)!}instances: 0x7fffffffffffffff\n`));
        await replaceWorkingTree(repo.dir, files);
        const run = await runCapped(['--repo', repo.dir, '--state', state, 'plan', '--no-ask-leader']);
        assert.equal(wrongEnding(run), undefined, run.stderr.slice(0, 600));
        assert.equal(run.code, 1, run.stdout);
        assert.match(run.stdout, /instances: must be <= 100000 \(got about 9223372036854776000\)/);
      },
    );

    /** Cases after the in-process ones, so the two sets differ whatever CASES is. */
    for (let offset = 0; offset < CLI_CASES; offset++) {
      const index = 1_000_000 + offset;
      it(`case ${index}: validate and plan`, { timeout: deadlineMs(60_000) }, async () => {
        // An absurd number first: the mutation that once cost 1.9 GB, and killed the daemon.
        const { files, mutations } = mutant(index, 'absurd-number');
        await replaceWorkingTree(repo.dir, files);
        const failures: string[] = [];
        const commands: [string, string[]][] = [
          ['validate', ['validate', repo.dir]],
          ['plan', ['--repo', repo.dir, '--state', state, 'plan', '--no-ask-leader']],
        ];
        for (const [name, args] of commands) {
          const run = await runCapped(args);
          const problem = wrongEnding(run);
          if (problem) failures.push(describeFailure(index, name, problem, run, mutations));
        }
        assert.deepEqual(failures, [], failures.join('\n\n'));
      });
    }
  });
});

/** The working tree holds exactly `files` (plan reads the working tree). */
async function replaceWorkingTree(dir: string, files: RepoBytes): Promise<void> {
  for (const entry of await readdir(dir)) {
    if (entry !== '.git') await rm(join(dir, entry), { recursive: true, force: true });
  }
  await writeRepo(dir, files);
}

/** `borealis ARGS` as its own process with a capped heap and a deadline. */
function runCapped(args: readonly string[]): Promise<CliRun & { signal: string | null; timedOut: boolean }> {
  const env: NodeJS.ProcessEnv = { ...process.env, NODE_OPTIONS: `--max-old-space-size=${HEAP_LIMIT_MB}` };
  delete env.BOREALIS_DEBUG;
  const timeout = deadlineMs(30_000);
  const started = Date.now();
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { env, timeout, maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        const signal = error?.signal ?? null;
        const timedOut = signal !== null && Date.now() - started >= timeout;
        resolve({ code, stdout, stderr, signal, timedOut });
      },
    );
  });
}
