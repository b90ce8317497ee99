/**
 * Damaged state, end to end on a real file store, real Git and the real local cluster: each
 * kind of damage to each kind of record is one line naming the file with a hint (exit 1,
 * never 70), `borealis state repair` moves it aside and rebuilds it, and the next
 * `reconcile`, `history` and `status` work. A tampered spec cache is never launched.
 */
import assert from 'node:assert/strict';
import { cpSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DeploymentLog } from '../../src/state/deployments.js';
import { FileStateStore } from '../../src/state/file/file-store.js';
import { journalText } from '../../src/state/file/journal.js';
import { encodeKeySegment } from '../../src/state/types.js';
import { DeployEnv } from '../support/deploy-env.js';
import { sleeperJob } from '../support/jobs.js';
import { eventually } from '../support/waiting.js';
import type { CliRun } from '../support/run-cli.js';

const JOB_FILE = `jobs/${encodeKeySegment('local/www-data/prod/a')}.json`;

type Envelope = { version: number; value: Record<string, unknown> };

/** Each damage turns a record file's text into what a crash, a full disk or a careless edit leaves. */
const DAMAGES: Record<
  string,
  (text: string, reshape: (value: Envelope['value']) => unknown) => string | Buffer
> = {
  truncated: (text) => text.slice(0, Math.floor(text.length / 2)),
  garbage: () => 'this is not JSON at all',
  empty: () => '',
  binary: () => Buffer.from([0x00, 0xff, 0xfe, 0x7b, 0x01, 0x80]),
  'wrong shape': (text, reshape) => withValue(text, () => reshape({})),
  'missing format': (text) => withValue(text, ({ format: _format, ...value }) => value),
  'unknown format': (text) => withValue(text, (value) => ({ ...value, format: 99 })),
};

function withValue(text: string, change: (value: Envelope['value']) => unknown): string {
  const envelope = JSON.parse(text) as Envelope;
  return JSON.stringify({ version: envelope.version, value: change(envelope.value) });
}

/** How the commands meet a damaged record of each kind. */
interface RecordKind {
  file: string;
  /** The record's text before the damage (the journal has none: one is made). */
  original?: () => string;
  reshape?: (value: Envelope['value']) => unknown;
  /** `fatal`: reconcile stops with one line; `skipped`/`rebuilt`: it works, with a warning. */
  effect: 'fatal' | 'skipped' | 'rebuilt';
}

const KINDS: Record<string, RecordKind> = {
  'applied commit': { file: 'applied.json', effect: 'fatal' },
  'jobs stamp': { file: 'jobs-stamp.json', effect: 'rebuilt', reshape: () => ({ format: 1, token: 7 }) },
  'job record': {
    file: JOB_FILE,
    effect: 'fatal',
    reshape: () => ({ format: 1, id: 'local/www-data/prod/a' }),
  },
  'old deployment record': { file: 'deployments/000000000001.json', effect: 'skipped' },
  journal: {
    file: '@journal.json',
    effect: 'fatal',
    original: () =>
      journalText([{ key: 'drift/open', record: { version: 0, value: { format: 1, open: [] } } }]),
  },
};

/** The journal is not a record: its damages are of its own shape. */
function journalDamage(damage: string, text: string): string | Buffer {
  switch (damage) {
    case 'wrong shape':
      return JSON.stringify({ journal: 1, writes: 'x' });
    case 'missing format':
      return JSON.stringify({ writes: [] });
    case 'unknown format':
      return JSON.stringify({ journal: 99, writes: [] });
    default:
      return DAMAGES[damage]!(text, () => []);
  }
}

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** One error line with its code and the file, one hint line, exit 1; warnings aside. */
function assertOneLine(run: CliRun, code: string, path: string, context: string): void {
  assert.equal(run.code, 1, `${context}: exit ${run.code}\n${run.stderr}`);
  assert.doesNotMatch(run.stderr, /internal error/, context);
  const lines = run.stderr
    .trimEnd()
    .split('\n')
    .filter((line) => !line.startsWith('borealis: warning:'));
  assert.equal(lines.length, 2, `${context}: ${run.stderr}`);
  assert.match(lines[0]!, new RegExp(`^borealis: ${code}: .*${escape(path)}`), context);
  assert.match(lines[1]!, code === 'STATE_CORRUPT' ? /^hint: .*borealis state repair/ : /^hint: /, context);
}

function assertWorks(run: CliRun, context: string): void {
  assert.equal(run.code, 0, `${context}: exit ${run.code}\n${run.stdout}\n${run.stderr}`);
}

describe('damaged state: one line naming the record, and state repair', () => {
  let env: DeployEnv;
  let store: string;
  let pristine: string;

  before(async () => {
    env = new DeployEnv();
    store = join(env.state, 'store');
    pristine = join(env.state, 'pristine');
    env.commitJobs('a', [sleeperJob('a')]);
    assertWorks(await env.cli('reconcile'), 'first deployment');
    env.commitJobs('a and b', [sleeperJob('a'), sleeperJob('b')]);
    assertWorks(await env.cli('reconcile'), 'second deployment');
    cpSync(store, join(pristine, 'store'), { recursive: true });
    cpSync(join(env.state, 'cache'), join(pristine, 'cache'), { recursive: true });
  });
  after(() => env.cleanup());

  /** The state as the two deployments left it, the same tasks running. */
  function restore(): void {
    for (const name of ['store', 'cache', 'corrupt'])
      rmSync(join(env.state, name), { recursive: true, force: true });
    cpSync(join(pristine, 'store'), store, { recursive: true });
    cpSync(join(pristine, 'cache'), join(env.state, 'cache'), { recursive: true });
  }

  for (const [kindName, kind] of Object.entries(KINDS)) {
    for (const damage of Object.keys(DAMAGES)) {
      it(`${kindName}, ${damage}`, async () => {
        restore();
        const file = join(store, kind.file);
        const original = kind.original?.() ?? readFileSync(file, 'utf8');
        const reshape = kind.reshape ?? (() => ['not', 'a', 'record']);
        writeFileSync(
          file,
          kind.file === '@journal.json'
            ? journalDamage(damage, original)
            : DAMAGES[damage]!(original, reshape),
        );
        // The job records snapshot would answer for the job records: read them, as a first run would.
        rmSync(join(env.state, 'cache', 'job-records.json'), { force: true });
        const otherFormat = damage === 'unknown format' && kind.file !== '@journal.json';
        const context = `${kindName}, ${damage}`;
        const first = await env.cli('reconcile');
        if (otherFormat && kind.effect === 'skipped') {
          assertWorks(first, context);
          const history = await env.cli('history');
          assertWorks(history, `${context}: history`);
          assert.match(
            history.stderr,
            new RegExp(`warning: skipped deployment record .*${escape(file)}.*format 99`),
            context,
          );
          return; // written by another Borealis: left for it
        }
        if (otherFormat) {
          assertOneLine(first, 'STATE_FORMAT', file, context);
          const repair = await env.cli('state', 'repair');
          assertWorks(repair, `${context}: repair`);
          assert.match(repair.stdout, /left alone/, 'a record of another format is not moved');
          assert.ok(existsSync(file), context);
          return;
        }
        if (kind.effect === 'fatal') assertOneLine(first, 'STATE_CORRUPT', file, context);
        else {
          assertWorks(first, context);
          assert.match(first.stderr, new RegExp(`^borealis: warning: .*${escape(file)}`, 'm'), context);
        }
        if (kind.effect === 'skipped') {
          const history = await env.cli('history');
          assertWorks(history, `${context}: history`);
          assert.match(
            history.stderr,
            new RegExp(`warning: skipped deployment record .*${escape(file)}`),
            context,
          );
          assert.match(history.stdout, /a and b/, 'the readable records are listed');
        }
        const repair = await env.cli('state', 'repair');
        assertWorks(repair, `${context}: repair`);
        if (kind.effect !== 'rebuilt') {
          assert.match(repair.stdout, /moved/, `${context}: ${repair.stdout}`);
          const aside = readdirSync(join(env.state, 'corrupt'));
          assert.equal(aside.length, 1, 'moved into one directory per repair');
          assert.ok(existsSync(join(env.state, 'corrupt', aside[0]!, kind.file)), 'kept, under its own name');
        }
        for (const command of [['reconcile'], ['history'], ['status']]) {
          const run = await env.cli(...command);
          assertWorks(run, `${context}: ${command[0]} after repair`);
          assert.equal(run.stderr, '', `${context}: ${command[0]} after repair warns no more`);
        }
      });
    }
  }
});

describe('damaged state met while deploying', () => {
  let env: DeployEnv;
  before(async () => {
    env = new DeployEnv();
    env.commitJobs('a', [sleeperJob('a')]);
    assertWorks(await env.cli('reconcile'), 'first deployment');
  });
  after(() => env.cleanup());

  const taskIds = async () => (await env.liveTasks('a')).map((task) => task.taskId);

  it('a tampered spec cache is never launched: the heal runs what Git says, with a warning', async () => {
    const cacheFile = join(env.state, 'cache', 'specs.json');
    const cache = readFileSync(cacheFile, 'utf8');
    assert.ok(cache.includes('exec sleep 1000'));
    writeFileSync(cacheFile, cache.replaceAll('exec sleep 1000', 'exec sleep 4321'));
    const [lost] = await env.liveTasks('a');
    env.crashMainProcess(lost!.taskId);
    await eventually(
      async () => (await env.liveTasks('a')).length === 0,
      10_000,
      'the crashed task to end',
      20,
    );
    // The first runs may wait out the relaunch back-off; the first of them finds the edited entry.
    const runs: CliRun[] = [];
    await eventually(
      async () => {
        runs.push(await env.cli('reconcile'));
        return /relaunch lost \[0\]/.test(runs.at(-1)!.stdout);
      },
      30_000,
      'a reconcile to relaunch the lost instance',
      100,
    );
    for (const run of runs) assertWorks(run, 'heal');
    assert.match(
      runs[0]!.stderr,
      new RegExp(`^borealis: warning: spec cache ${escape(cacheFile)}: .*jobs/a\\.yaml`, 'm'),
    );
    const [relaunched] = await env.liveTasks('a');
    assert.notEqual(relaunched!.taskId, lost!.taskId);
    const launched = readFileSync(join(env.state, 'sandboxes', relaunched!.taskId, 'task.json'), 'utf8');
    assert.match(launched, /exec sleep 1000/);
    assert.doesNotMatch(launched, /4321/);
    assert.doesNotMatch(readFileSync(cacheFile, 'utf8'), /4321/, 'the entry is rebuilt from Git');
  });

  it('a truncated job record stops a deployment before it rolls anything, and repair lets the next one finish', async () => {
    env.commitJobs('change a', [sleeperJob('a', {}, 'exec sleep 2000')]);
    const before = await taskIds();
    const file = join(env.state, 'store', JOB_FILE);
    writeFileSync(file, readFileSync(file, 'utf8').slice(0, 40));
    const stopped = await env.cli('reconcile');
    assertOneLine(stopped, 'STATE_CORRUPT', file, 'reconcile on a truncated job record');
    assert.deepEqual(await taskIds(), before, 'no instance was rolled');
    const history = await env.cli('history', '-o', 'json');
    type Listed = { outcome: string; reason?: string; detail?: string };
    const newest = (JSON.parse(history.stdout) as { deployments: Listed[] }).deployments[0]!;
    assert.equal(newest.outcome, 'failed', 'not left in_progress');
    assert.equal(newest.reason, 'STATE_CORRUPT');
    assert.match(newest.detail ?? '', /nothing applied: .*unreadable/);
    const repair = await env.cli('state', 'repair');
    assertWorks(repair, 'repair');
    assert.match(repair.stdout, /moved .*local%2Fwww-data%2Fprod%2Fa/);
    assert.match(repair.stdout, /rebuilt .*local%2Fwww-data%2Fprod%2Fa: configuration \w+, from commit/);
    const rolled = await env.cli('reconcile');
    assertWorks(rolled, 'reconcile after repair');
    assert.match(rolled.stdout, /restart 1 instance/);
    assert.notDeepEqual(await taskIds(), before);
    const after = await env.cli('history', '-o', 'json');
    const outcomes = (JSON.parse(after.stdout) as { deployments: { outcome: string }[] }).deployments.map(
      (deployment) => deployment.outcome,
    );
    assert.ok(!outcomes.includes('in_progress'), outcomes.join(' '));
  });

  it('a deployment left in_progress is finished by the next run: superseded by the commit deployed', async () => {
    const store = await FileStateStore.open(join(env.state, 'store'));
    try {
      const log = new DeploymentLog(store);
      const { sequence: _sequence, format: _format, ...last } = (await log.list(1))[0]!;
      await log.append({ ...last, commit: 'f'.repeat(40), outcome: 'in_progress', finished_at: null });
    } finally {
      await store.close();
    }
    env.commitJobs('change a again', [sleeperJob('a', {}, 'exec sleep 3000')]);
    assertWorks(await env.cli('reconcile'), 'the next run');
    const history = await env.cli('history', '-o', 'json');
    const interrupted = (
      JSON.parse(history.stdout) as {
        deployments: { commit: string; outcome: string; superseded_by?: string }[];
      }
    ).deployments.find((deployment) => deployment.commit === 'f'.repeat(40));
    assert.equal(interrupted?.outcome, 'superseded');
    assert.equal(interrupted?.superseded_by, env.repo.git('rev-parse', 'HEAD').trim());
  });
});
