/**
 * The cron acceptance run, with real minutes: `npm run test:slow` (about three minutes; not
 * part of `npm test`). A real `borealis watch` on the local cluster with three cron jobs:
 *
 * - `* * * * *` appending the time to a file: runs at each minute boundary, within a few
 *   seconds, and never at deploy time;
 * - CANCEL_NEW whose run takes 75 s: runs once in two minutes (the tick in between is
 *   skipped);
 * - KILL_EXISTING whose run takes 75 s: runs twice in two minutes, the first killed;
 *
 * and afterwards `plan --detailed-exitcode` exits 0. It prints the delay from each tick to
 * the first process of its run.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { LocalCluster } from '../src/cluster/local/cluster.js';
import { isTerminal } from '../src/cluster/types.js';
import { CronRecords } from '../src/cron/records.js';
import type { CronJobState } from '../src/cron/types.js';
import { FileStateStore } from '../src/state/file/file-store.js';
import { TempGitRepo } from '../test/support/git-repo.js';
import { jobObject } from '../test/support/jobs.js';
import { ReconcilerProcess } from '../test/support/reconciler-process.js';
import { runCli } from '../test/support/run-cli.js';

const MINUTE = 60_000;
/** How late after its tick a run's first process may start and still count as "at the boundary". */
const ON_TIME_MS = 5_000;

describe('cron under borealis watch, with real minutes', () => {
  const repo = new TempGitRepo('borealis-cron-slow-');
  const state = mkdtempSync(join(tmpdir(), 'borealis-cron-slow-state-'));
  const out = mkdtempSync(join(tmpdir(), 'borealis-cron-slow-out-'));
  const sandboxes = join(state, 'sandboxes');
  let watch: ReconcilerProcess | undefined;

  after(async () => {
    watch?.kill('SIGTERM');
    await watch?.exited;
    const cluster = new LocalCluster({ root: sandboxes });
    await cluster.kill((await cluster.snapshot()).filter((t) => !isTerminal(t.state)).map((t) => t.taskId));
    await cluster.close();
    repo.remove();
    rmSync(state, { recursive: true, force: true });
    rmSync(out, { recursive: true, force: true });
  });

  const cronJob = (name: string, fields: Record<string, unknown>, cmdline: string) =>
    stringify(
      jobObject({
        name,
        role: 'ops',
        cron_schedule: '* * * * *',
        ...fields,
        task: {
          processes: [{ name: 'main', cmdline }],
          resources: { cpu: 0.1, ram: '16MiB', disk: '16MiB' },
          finalization_wait: 1,
        },
      }),
    );
  /** Epoch ms of each line of a file the jobs append `date +%s%3N` to. */
  const starts = (file: string): number[] => {
    try {
      return readFileSync(join(out, file), 'utf8').split('\n').filter(Boolean).map(Number);
    } catch {
      return [];
    }
  };
  const cronState = async (name: string): Promise<CronJobState> => {
    const store = await FileStateStore.open(join(state, 'store'));
    try {
      return (await new CronRecords(store).get(`local/ops/prod/${name}`))!.state;
    } finally {
      await store.close();
    }
  };

  it('runs at the minute boundaries, never at deploy time, under each collision policy', async () => {
    const stamp = (file: string) => `date +%s%3N >> ${join(out, file)}`;
    repo.commit('three cron jobs', {
      'clusters.yaml': stringify({ clusters: [{ name: 'local', type: 'local' }] }),
      'jobs/minute.yaml': cronJob('minute', {}, stamp('minute.txt')),
      'jobs/cancel.yaml': cronJob(
        'cancel',
        { cron_collision_policy: 'CANCEL_NEW' },
        `${stamp('cancel.txt')}; sleep 75`,
      ),
      'jobs/kill.yaml': cronJob(
        'kill',
        { cron_collision_policy: 'KILL_EXISTING' },
        `${stamp('kill.txt')}; exec sleep 75`,
      ),
    });
    watch = new ReconcilerProcess('watch', {
      repo: repo.dir,
      state,
      watchArgs: ['--no-http', '--resync', '10'],
    });
    await watch.waitFor(/succeeded \(Plan: .*3 to schedule/, 60_000);
    const deployed = Date.now();
    const first = Math.ceil(deployed / MINUTE) * MINUTE;
    const end = first + 2 * MINUTE;
    // Until just after the third boundary: ticks `first`, `first + 1 min`, `first + 2 min`.
    await watch.waitFor(new RegExp(`run schedule-${utcStamp(end)} started`), 3 * MINUTE + 30_000);
    await waitForFile(() => starts('minute.txt').some((at) => at >= end), 30_000);

    const minute = starts('minute.txt');
    assert.ok(
      minute.every((at) => at >= first),
      `nothing ran at deploy time (${deployed}): ${minute.join(', ')}`,
    );
    const delays = [first, first + MINUTE, end].map((tick) => {
      const run = minute.find((at) => at >= tick && at < tick + MINUTE);
      assert.ok(run !== undefined, `a run for the tick ${new Date(tick).toISOString()}`);
      return run - tick;
    });
    for (const delay of delays) assert.ok(delay < ON_TIME_MS, `started ${delay} ms after its tick`);
    console.log(`tick → process start: ${delays.map((d) => `${d} ms`).join(', ')}`);

    const inWindow = (at: number) => at >= first && at < end;
    assert.equal(starts('cancel.txt').filter(inWindow).length, 1, 'CANCEL_NEW ran once in two minutes');
    const cancel = await cronState('cancel');
    assert.ok(
      cancel.runs.some((run) => run.outcome === 'skipped' && run.scheduledAt === first + MINUTE),
      `the tick in between was skipped: ${JSON.stringify(cancel.runs)}`,
    );
    assert.equal(starts('kill.txt').filter(inWindow).length, 2, 'KILL_EXISTING ran twice in two minutes');
    const kill = await cronState('kill');
    const firstKill = kill.runs.find((run) => run.scheduledAt === first);
    assert.equal(firstKill?.outcome, 'killed', JSON.stringify(kill.runs));

    const plan = await runCli(['--repo', repo.dir, '--state', state, 'plan', '--detailed-exitcode']);
    assert.equal(plan.code, 0, plan.stdout + plan.stderr);
  });
});

function utcStamp(at: number): string {
  return new Date(at)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
}

/** The file is written by a process of the run, just after the run is logged. */
async function waitForFile(check: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out waiting for the run to write its line');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
