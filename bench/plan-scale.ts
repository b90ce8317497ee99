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
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GitTree } from '../src/source/git-tree.js';
import { loadRepository } from '../src/spec/load.js';
import { FileStateStore } from '../src/state/file/file-store.js';
import { Records } from '../src/state/records.js';
import { syntheticRepo } from './synthetic-repo.js';
import { startMaster } from './test-master.js';

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
  cold: ProcessFigures;
  warm: ProcessFigures;
}

export async function planAtScale(jobs: number): Promise<PlanScale> {
  const repo = syntheticRepo(jobs, 'http://127.0.0.1:1'); // the real address is committed once known
  const master = startMaster([String(Math.max(100, Math.ceil(jobs / 10))), repo.dir, FRAMEWORK]);
  const state = mkdtempSync(join(tmpdir(), 'borealis-bench-state-'));
  try {
    const { url } = (await master.next()) as { url: string };
    writeFileSync(join(repo.dir, 'clusters.yaml'), clustersYaml(url));
    execFileSync('git', ['commit', '-q', '-am', 'the master'], { cwd: repo.dir, env: gitEnv() });
    await recordApplied(repo.dir, state);
    const floor = measure(process.execPath, [FLOOR, repo.dir, 'HEAD']);
    const plan = ['--repo', repo.dir, '--state', state, '--cluster', repo.cluster, 'plan', '-o', 'json'];
    const cold = measure(process.execPath, [BIN, ...plan], converged(jobs));
    const warm = measure(process.execPath, [BIN, ...plan], converged(jobs));
    return { jobs, instances: repo.instances, floor, cold, warm };
  } finally {
    master.end();
    rmSync(repo.dir, { recursive: true, force: true });
    rmSync(state, { recursive: true, force: true });
  }
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
  for (let i = 0; i < jobs.length; i += 500) {
    await Promise.all(
      jobs.slice(i, i + 500).map((job) =>
        records.putJob({
          id: job.id,
          commit: head,
          config: job.config,
          configHash: job.configHash,
          appliedAt: 0,
        }),
      ),
    );
  }
  await records.setApplied(head, 0);
  await store.put('framework-id', FRAMEWORK);
  await store.close();
}

/** Runs a process under GNU time; `check` judges its output (a plan of a converged cluster changes nothing). */
function measure(command: string, args: string[], check?: (stdout: string) => void): ProcessFigures {
  const timing = join(mkdtempSync(join(tmpdir(), 'borealis-bench-time-')), 'time');
  const started = performance.now();
  const stdout = execFileSync('/usr/bin/time', ['-o', timing, '-f', '%U %S %M', command, ...args], {
    maxBuffer: 1 << 30,
    encoding: 'utf8',
  });
  const wallMs = performance.now() - started;
  check?.(stdout);
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

function gitEnv(): NodeJS.ProcessEnv {
  return {
    ...process.env,
    GIT_AUTHOR_NAME: 'Bench',
    GIT_AUTHOR_EMAIL: 'b@example.com',
    GIT_COMMITTER_NAME: 'Bench',
    GIT_COMMITTER_EMAIL: 'b@example.com',
  };
}
