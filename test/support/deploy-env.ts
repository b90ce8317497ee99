/**
 * A job repository in a real Git repository plus a state directory, and the cluster and
 * state store a reconciler of it runs on: `DeployEnv` for end-to-end tests of reconcile on
 * the real local cluster (its cleanup stops every task it started); memory-env.ts for tests
 * whose subject is not the processes.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { LocalCluster } from '../../src/cluster/local/cluster.js';
import { isTerminal, type Cluster, type ObservedTask } from '../../src/cluster/types.js';
import { FileStateStore } from '../../src/state/file/file-store.js';
import type { StateStore } from '../../src/state/types.js';
import { TempGitRepo } from './git-repo.js';
import { LOCAL_CLUSTERS } from './jobs.js';
import { runCli, type CliRun } from './run-cli.js';

export abstract class JobsEnv {
  readonly repo = new TempGitRepo('borealis-deploy-');
  readonly state = mkdtempSync(join(tmpdir(), 'borealis-state-'));

  /** Commits the given jobs (replacing all earlier job files) and returns the commit id. */
  commitJobs(message: string, jobs: Record<string, unknown>[]): string {
    this.repo.git('rm', '-rq', '--ignore-unmatch', 'jobs');
    const files: Record<string, string> = { 'clusters.yaml': LOCAL_CLUSTERS };
    for (const job of jobs) files[`jobs/${String(job.name)}.yaml`] = stringify(job);
    return this.repo.commit(message, files);
  }

  /** A Cluster object on this environment's tasks, as another process would open it. */
  abstract openCluster(): Cluster;

  /** A store on this environment's state, as another process would open it. */
  abstract openStore(): Promise<StateStore>;

  abstract cleanup(): Promise<void>;

  async tasks(): Promise<readonly ObservedTask[]> {
    const cluster = this.openCluster();
    try {
      return await cluster.snapshot();
    } finally {
      await cluster.close();
    }
  }

  async liveTasks(jobName?: string): Promise<ObservedTask[]> {
    return (await this.tasks())
      .filter((task) => !isTerminal(task.state) && (!jobName || task.jobId.endsWith(`/${jobName}`)))
      .sort((a, b) => a.instance - b.instance);
  }

  /** Kills one task through a second view of the cluster, as an operator would. */
  async killByHand(taskId: string): Promise<void> {
    const cluster = this.openCluster();
    try {
      await cluster.kill([taskId]);
    } finally {
      await cluster.close();
    }
  }
}

export class DeployEnv extends JobsEnv {
  cli(...args: string[]): Promise<CliRun> {
    return runCli(['--repo', this.repo.dir, '--state', this.state, ...args]);
  }

  /** A view of the same local cluster, as a second process would have. */
  observer(): LocalCluster {
    return new LocalCluster({ root: join(this.state, 'sandboxes') });
  }

  openCluster(): LocalCluster {
    return this.observer();
  }

  openStore(): Promise<StateStore> {
    return FileStateStore.open(join(this.state, 'store'));
  }

  /**
   * Kills a task's main process by hand, as a crash would: the task ends on its own, which
   * a kill through the cluster port (Borealis's own, `killRequested`) is not.
   */
  crashMainProcess(taskId: string): void {
    const path = join(this.state, 'sandboxes', taskId, 'status.json');
    const status = JSON.parse(readFileSync(path, 'utf8')) as { processes: Record<string, { pid?: number }> };
    process.kill(status.processes.main!.pid!, 'SIGKILL');
  }

  async cleanup(): Promise<void> {
    await this.cli('local', 'down');
    this.repo.remove();
    rmSync(this.state, { recursive: true, force: true });
  }
}

/** The most tasks of one job alive at the same moment, from their launch and end times. */
export function peakConcurrency(tasks: readonly ObservedTask[]): number {
  const end = (task: ObservedTask) => (isTerminal(task.state) ? task.updatedAt : Infinity);
  return Math.max(
    0,
    ...tasks.map(
      (at) => tasks.filter((task) => task.launchedAt <= at.launchedAt && end(task) > at.launchedAt).length,
    ),
  );
}
