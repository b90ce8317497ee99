/**
 * Planning at scale: `borealis plan -o json` as a process, against a converged cluster —
 * a synthetic repository of N jobs (ten instances each on average), records saying every
 * job is applied, and a test Mesos master (in a process of its own) running every
 * instance, read through the operator API as a pull-request preview would. Beside it, in
 * the same run, its floor: a process that only reads every YAML file of the commit through
 * one `git cat-file --batch` and parses each with yaml's `parse`.
 *
 * Cold: an empty spec cache. Warm: the cache the cold run left in the state directory.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GitTree } from '../src/source/git-tree.js';
import { loadRepository } from '../src/jobspec/load.js';
import { FileStateStore } from '../src/state/file/file-store.js';
import { Records } from '../src/state/records.js';
import { GIT_ENV, syntheticRepo } from './synthetic-repo.js';
import { startMaster } from './test-master.js';
import { startWatch, type WatchProcess } from './watch-process.js';
import { leaderUrl } from '../src/cli/compose/leader-address.js';

const BIN = fileURLToPath(new URL('../../bin/borealis.js', import.meta.url));
const FLOOR = fileURLToPath(new URL('./floor.js', import.meta.url));
const FRAMEWORK = 'bench-framework-0000';

export interface ProcessFigures {
  wallMs: number;
  cpuMs: number;
  rssMb: number;
}

export interface PlanScale {
  jobs: number;
  instances: number;
  floor: ProcessFigures;
  /** Empty spec cache; the cluster read from the master's operator API. */
  cold: ProcessFigures;
  /** The cache the cold plan left; the cluster read from the master's operator API. */
  warm: ProcessFigures;
  /** With `watch` leading, planned in the CLI (`--no-ask-leader`): an empty spec cache, the leader's view. */
  leaderCold?: ProcessFigures;
  /** The same, with the cache the cold plan left. */
  leaderWarm?: ProcessFigures;
  /** With `watch` leading, planned by the leader (GET /api/plan), as `plan` does by default. */
  leader?: ProcessFigures;
  /** In that `watch`: a commit changing one job, from the ref change to its plan being ready. */
  incrementalMs?: number;
}

export interface PlanScaleOptions {
  /** Also run `watch` on the converged cluster, for the leader and incremental figures. */
  watch?: boolean;
}

export async function planAtScale(jobs: number, options: PlanScaleOptions = {}): Promise<PlanScale> {
  const repo = syntheticRepo(jobs, 'http://127.0.0.1:1'); // the real address is committed once known
  const state = mkdtempSync(join(tmpdir(), 'borealis-bench-state-'));
  const master = startMaster([
    String(Math.max(100, Math.ceil(jobs / 10))),
    repo.dir,
    FRAMEWORK,
    ...(options.watch ? [state] : []), // the driver's records of its tasks, for watch to adopt them
  ]);
  try {
    const { url } = (await master.next()) as { url: string };
    writeFileSync(join(repo.dir, 'clusters.yaml'), clustersYaml(url));
    git(repo.dir, 'commit', '-q', '-am', 'the master');
    await recordApplied(repo.dir, state);
    const floor = measure(process.execPath, [FLOOR, repo.dir, 'HEAD']);
    const global = ['--repo', repo.dir, '--state', state, '--cluster', repo.cluster];
    const plan = [BIN, ...global, 'plan', '-o', 'json'];
    const cold = measure(process.execPath, plan, converged(jobs));
    const warm = measure(process.execPath, plan, converged(jobs));
    const figures = { jobs, instances: repo.instances, floor, cold, warm };
    return options.watch
      ? { ...figures, ...(await withWatch(repo.dir, state, global, plan, jobs)) }
      : figures;
  } finally {
    master.end();
    rmSync(repo.dir, { recursive: true, force: true });
    rmSync(state, { recursive: true, force: true });
  }
}

/** `watch` leading the converged cluster: `plan` through its view, then one job changed. */
async function withWatch(
  repo: string,
  state: string,
  global: string[],
  plan: string[],
  jobs: number,
): Promise<Pick<Required<PlanScale>, 'leaderCold' | 'leaderWarm' | 'leader' | 'incrementalMs'>> {
  const head = git(repo, 'rev-parse', 'HEAD');
  const watch = await startWatch(global);
  try {
    await watch.logLine((line) => line.includes(`${head.slice(0, 12)} `), 0);
    const found = await leaderUrl({ state, localDir: state });
    if (!('url' in found)) throw new Error(`plan would find no leader: ${found.none}`);
    const viewFromLeader = (stderr: string) => {
      if (stderr.includes('asking the Mesos master'))
        throw new Error(`plan did not read the leader: ${stderr}`);
    };
    const plannedByLeader = (stderr: string) => {
      if (stderr.includes('did not plan')) throw new Error(`the leader did not plan: ${stderr}`);
    };
    const here = [...plan, '--no-ask-leader'];
    // The daemon is the framework of 100,000 tasks just re-adopted: their updates keep it
    // busy for a while, on the same two cores. The figures are of a plan, and of a commit,
    // meeting the daemon as it runs between commits: idle.
    await watch.idle();
    rmSync(join(state, 'cache'), { recursive: true, force: true });
    const leaderCold = measure(process.execPath, here, converged(jobs), viewFromLeader);
    const leaderWarm = measure(process.execPath, here, converged(jobs), viewFromLeader);
    // Half a second each, so the median of five: one run may meet the daemon's own resync.
    const leader = medianOf(5, () => measure(process.execPath, plan, converged(jobs), plannedByLeader));
    return { leaderCold, leaderWarm, leader, incrementalMs: await incrementalPlans(repo, watch) };
  } finally {
    await watch.kill();
  }
}

/**
 * Three one-job commits, each a rolling update of another job met by an idle daemon: the
 * median, since one sample on a shared machine may meet a timer or a collection. Jobs with
 * few batches, so that waiting for each rollout to end costs about a minute.
 */
async function incrementalPlans(repo: string, watch: WatchProcess): Promise<number> {
  const samples: number[] = [];
  for (const job of [1, 3, 11]) {
    await watch.idle();
    samples.push(await incrementalPlan(repo, watch, job));
  }
  console.error(`bench: incremental plans ${samples.map((ms) => `${ms} ms`).join(', ')}`);
  return samples.sort((a, b) => a - b)[1]!;
}

/** One job's file changed and committed; the ref moved at a known instant; the daemon records when it planned. */
async function incrementalPlan(repo: string, watch: WatchProcess, job: number): Promise<number> {
  const file = join(repo, `jobs/team-${job % 100}/job-${job}.yaml`);
  const text = readFileSync(file, 'utf8');
  if (!text.includes('LOG_LEVEL: debug')) throw new Error(`${file} sets no LOG_LEVEL to change`);
  writeFileSync(file, text.replace('LOG_LEVEL: debug', 'LOG_LEVEL: info'));
  git(repo, 'add', '-A');
  const tree = git(repo, 'write-tree');
  const commit = git(repo, 'commit-tree', tree, '-p', 'HEAD', '-m', `job-${job} logs less`);
  const movedAt = Date.now();
  git(repo, 'update-ref', 'refs/heads/main', commit);
  for (;;) {
    const newest = await watch.newest();
    if (newest.commit === commit && newest.planned_at) {
      const changed = newest.plan?.changes.filter((change) => change.action !== 'noop') ?? [];
      if (changed.length !== 1) throw new Error(`the plan changes ${changed.length} jobs, not 1`);
      return Date.parse(newest.planned_at) - movedAt;
    }
    // The record says when the plan was ready; how often it is asked does not change that.
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function git(repo: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd: repo, env: GIT_ENV, encoding: 'utf8' }).trim();
}

function clustersYaml(url: string): string {
  return `clusters:\n  - name: west\n    type: mesos\n    master: ${url}\n    role: prod\n    user: www-data\n`;
}

/** The records of a converged cluster: every job of the head applied, the framework known. */
export async function recordApplied(repo: string, state: string): Promise<void> {
  const tree = new GitTree({ repo, ref: 'HEAD', path: '' });
  const { jobs } = await loadRepository(tree);
  const head = await tree.commit();
  await tree.close();
  const store = await FileStateStore.open(join(state, 'store'));
  const records = new Records(store);
  for (let i = 0; i < jobs.length; i += 1000)
    await records.putJobs(
      jobs.slice(i, i + 1000).map((job) => ({
        id: job.id,
        commit: head,
        config: job.config,
        configHash: job.configHash,
        appliedAt: 0,
      })),
    );
  await records.setApplied(head, 0);
  await store.put('framework-id', FRAMEWORK);
  await store.close();
}

/** Runs a process under GNU time; `check` judges its output (a plan of a converged cluster changes nothing). */
/** The run of median wall time among `runs`, taken one after another. */
function medianOf(runs: number, run: () => ProcessFigures): ProcessFigures {
  const figures = Array.from({ length: runs }, run).sort((a, b) => a.wallMs - b.wallMs);
  return figures[Math.floor(runs / 2)]!;
}

function measure(
  command: string,
  args: string[],
  check?: (stdout: string) => void,
  checkStderr?: (stderr: string) => void,
): ProcessFigures {
  const timing = join(mkdtempSync(join(tmpdir(), 'borealis-bench-time-')), 'time');
  const started = performance.now();
  const run = spawnSync('/usr/bin/time', ['-o', timing, '-f', '%U %S %M', command, ...args], {
    maxBuffer: 1 << 30,
    encoding: 'utf8',
  });
  const wallMs = performance.now() - started;
  if (run.status !== 0) throw new Error(`${args.join(' ')} exited ${run.status}: ${run.stderr}`);
  check?.(run.stdout);
  checkStderr?.(run.stderr);
  const [user = '0', system = '0', rssKb = '0'] = execFileSync('tail', ['-n', '1', timing], {
    encoding: 'utf8',
  })
    .trim()
    .split(' ');
  rmSync(join(timing, '..'), { recursive: true, force: true });
  return { wallMs, cpuMs: (Number(user) + Number(system)) * 1000, rssMb: Number(rssKb) / 1024 };
}

function converged(jobs: number): (stdout: string) => void {
  return (stdout) => {
    const plan = JSON.parse(stdout) as { summary: Record<string, number> };
    if (plan.summary.noop !== jobs)
      throw new Error(`the plan of a converged cluster changes something: ${JSON.stringify(plan.summary)}`);
  };
}
