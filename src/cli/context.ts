/**
 * What every command that touches a cluster opens, from the global flags: the commit to
 * read, its validated jobs, the cluster backend and the state records.
 */
import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { LocalCluster } from '../cluster/local/cluster.js';
import type { Cluster } from '../cluster/types.js';
import { BorealisError } from '../errors.js';
import { GitTree } from '../source/git-tree.js';
import { TrackedSource } from '../source/tracked.js';
import { loadClusters } from '../spec/clusters.js';
import { DeploymentLog } from '../state/deployments.js';
import { loadRepository } from '../spec/load.js';
import type { ClusterConfig, LoadedRepository } from '../spec/types.js';
import { FileStateStore } from '../state/file/file-store.js';
import { Records } from '../state/records.js';

const run = promisify(execFile);

export interface GlobalOptions {
  repo: string;
  path: string;
  branch?: string;
  cluster: string;
  state: string;
}

export interface LoadedCommit {
  commit: string;
  ref: string;
  repository: LoadedRepository;
}

/** The branch head (or `ref`) of the tracked repository, validated. */
export async function loadCommit(options: GlobalOptions, ref?: string): Promise<LoadedCommit> {
  const target = ref ?? options.branch ?? (await currentBranch(options.repo));
  const tree = new GitTree({ repo: options.repo, ref: target, path: options.path });
  try {
    const repository = await loadRepository(tree);
    return { commit: await tree.commit(), ref: target, repository };
  } catch (error) {
    if (error instanceof BorealisError) throw error;
    throw new BorealisError(
      'SOURCE_UNREADABLE',
      `cannot read ${target} of ${options.repo}: ${(error as Error).message}`,
      { cause: error },
    );
  } finally {
    await tree.close();
  }
}

async function currentBranch(repo: string): Promise<string> {
  try {
    return (await run('git', ['symbolic-ref', '--short', 'HEAD'], { cwd: repo })).stdout.trim();
  } catch (error) {
    throw new BorealisError('NO_BRANCH', `${repo}: not a Git repository with a checked-out branch`, {
      hint: 'pass --repo PATH (a Git repository) and --branch NAME',
      cause: error,
    });
  }
}

export function clusterConfig(options: GlobalOptions, clusters: readonly ClusterConfig[]): ClusterConfig {
  const found = clusters.find((cluster) => cluster.name === options.cluster);
  if (found) return found;
  throw new BorealisError('UNKNOWN_CLUSTER', `no cluster named "${options.cluster}" in clusters.yaml`, {
    hint: `declared: ${clusters.map((c) => c.name).join(', ') || 'none'}; choose one with --cluster`,
  });
}

/** The local cluster's sandboxes live in the state directory unless clusters.yaml says otherwise. */
export function openCluster(options: GlobalOptions, config?: ClusterConfig): Cluster {
  if (config && config.type !== 'local') {
    throw new BorealisError(
      'BACKEND_UNAVAILABLE',
      `cluster "${config.name}" is of type ${config.type}, which this build cannot drive yet`,
    );
  }
  const root = config?.sandbox_root
    ? resolve(options.state, config.sandbox_root)
    : join(options.state, 'sandboxes');
  return new LocalCluster({ root });
}

export async function openRecords(options: GlobalOptions): Promise<Records> {
  return new Records(await FileStateStore.open(join(options.state, 'store')));
}

/** Everything that applies commits: the tracked source, the cluster and both kinds of records. */
export interface DeployEnvironment {
  source: TrackedSource;
  cluster: Cluster;
  records: Records;
  deployments: DeploymentLog;
  close(): Promise<void>;
}

export async function openDeployEnvironment(options: GlobalOptions): Promise<DeployEnvironment> {
  const source = await TrackedSource.open({
    repo: options.repo,
    branch: options.branch,
    path: options.path,
    stateDir: options.state,
  });
  const config = await clusterConfigAt(source, await source.head(), options);
  const cluster = openCluster(options, config);
  const records = await openRecords(options);
  return {
    source,
    cluster,
    records,
    deployments: new DeploymentLog(records.store),
    close: async () => {
      await cluster.close();
      await records.store.close();
    },
  };
}

/** The cluster's entry in clusters.yaml at a commit; an invalid file is left to the deployment to reject. */
async function clusterConfigAt(
  source: TrackedSource,
  commit: string,
  options: GlobalOptions,
): Promise<ClusterConfig | undefined> {
  const tree = source.tree(commit);
  try {
    const files = await tree.read(['clusters.yaml', 'clusters.yml']);
    const [file, text] = [...files][0] ?? [];
    const loaded = loadClusters(file, text);
    return loaded.valid ? clusterConfig(options, loaded.clusters) : undefined;
  } finally {
    await tree.close();
  }
}
