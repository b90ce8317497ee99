/** A watched Git repository, a cluster and a state store (local or in memory) and a running Daemon, for GitOps tests. */
import { isTerminal } from '../../src/cluster/types.js';
import { Daemon, type DaemonOptions } from '../../src/reconciler/daemon.js';
import { TrackedSource } from '../../src/source/tracked.js';
import { DeploymentLog, type DeploymentRecord } from '../../src/state/deployments.js';
import { Records } from '../../src/state/records.js';
import type { JobsEnv } from './deploy-env.js';
import { withTimeout } from './waiting.js';

export interface RunningDaemon {
  daemon: Daemon;
  deployments: DeploymentLog;
  records: Records;
  logs: string[];
  /** Resolves once `check` holds, re-checking after each pass of the daemon (and every 250 ms). */
  until(check: () => Promise<boolean>, what: string, ms?: number): Promise<void>;
  /** The record of a commit once it is no longer in progress. */
  recordOf(commit: string, ms?: number): Promise<DeploymentRecord>;
  stop(): Promise<void>;
}

export async function startDaemon(
  env: JobsEnv,
  options: Partial<DaemonOptions> = {},
  repo = env.repo.dir,
  path = '',
): Promise<RunningDaemon> {
  const source = await TrackedSource.open({ repo, path, stateDir: env.state, branch: 'main' });
  const cluster = env.openCluster();
  const records = new Records(await env.openStore());
  const deployments = new DeploymentLog(records.store);
  const logs: string[] = [];
  const daemon = new Daemon(
    { source, clusterName: 'local', cluster, records, deployments, log: (line) => logs.push(line) },
    { pollMs: 60_000, resyncMs: 60_000, ...options },
  );
  await daemon.start();
  const until = async (check: () => Promise<boolean>, what: string, ms = 30_000) => {
    await withTimeout(
      (async () => {
        // A pass may end before the cluster shows its effect, so also look again shortly.
        while (!(await check()))
          await Promise.race([daemon.nextPass(), new Promise((resolve) => setTimeout(resolve, 250))]);
      })(),
      ms,
      () => `${what}; daemon log:\n${logs.join('\n')}`,
    );
  };
  const recordOf = async (commit: string, ms?: number) => {
    let found: DeploymentRecord | null = null;
    await until(
      async () => {
        found = await deployments.find(commit);
        return found !== null && found.outcome !== 'in_progress';
      },
      `a finished deployment record for ${commit.slice(0, 12)}`,
      ms,
    );
    return found!;
  };
  return {
    daemon,
    deployments,
    records,
    logs,
    until,
    recordOf,
    stop: async () => {
      await daemon.stop();
      await cluster.close();
      await records.store.close();
      await source.close();
    },
  };
}

export async function liveCount(env: JobsEnv, jobName: string): Promise<number> {
  return (await env.tasks()).filter((task) => task.jobId.endsWith(`/${jobName}`) && !isTerminal(task.state))
    .length;
}

/** Reads a commit's deployment record straight from the state (no daemon needed). */
export async function readDeployment(env: JobsEnv, commit: string): Promise<DeploymentRecord | null> {
  const store = await env.openStore();
  try {
    return await new DeploymentLog(store).find(commit);
  } finally {
    await store.close();
  }
}
