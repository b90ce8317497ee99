/**
 * What every command that touches a cluster opens, from the global flags: the commit to
 * read, its validated jobs, the cluster backend and the state records.
 */
import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import type { LocalCluster } from '../cluster/local/cluster.js';
import { openLocal, openMesosDriver, openReader } from './backends.js';
import { promisify } from 'node:util';
import { fetchLeaderView } from '../cluster/leader-view/client.js';
import { LeaderFirstCluster } from '../cluster/leader-view/leader-first-cluster.js';
import type { Cluster, ObservedTask } from '../cluster/types.js';
import { leaderUrl } from './leader-address.js';
import { BorealisError } from '../errors.js';
import { GitTree } from '../source/git-tree.js';
import type { RepoTree } from '../source/tree.js';
import { uncommittedChanges, WorkingTree, type UncommittedChanges } from '../source/working-tree.js';
import { TrackedSource } from '../source/tracked.js';
import { loadClusters } from '../jobspec/clusters.js';
import { DeploymentLog } from '../state/deployments.js';
import { FencedCluster } from '../cluster/fenced.js';
import { LeaderScopedCluster } from '../cluster/leader-scoped.js';
import type { StateStore } from '../state/types.js';
import { DelegatingStore } from '../state/delegating-store.js';
import { ZooKeeperStateStore } from '../state/zookeeper/zookeeper-store.js';
import { Coordinator } from '../zookeeper/coordinator.js';
import { ZkSession, type ZkAuth } from '../zookeeper/session.js';
import { isZkUrl, parseZkUrl } from '../zookeeper/url.js';
import { loadRepository } from '../jobspec/load.js';
import { currentProducer, SpecCache } from '../jobspec/spec-cache.js';
import type { LoadLimits } from '../jobspec/limits.js';
import { RecordsSnapshot } from '../state/records-snapshot.js';
import type { ClusterConfig, LoadedRepository } from '../jobspec/types.js';
import { FileStateStore } from '../state/file/file-store.js';
import { Records } from '../state/records.js';
import { stderrLog, type Log } from '../util/log.js';
import { systemCode } from './operator-error.js';

const run = promisify(execFile);

export interface GlobalOptions {
  repo: string;
  path: string;
  branch?: string;
  cluster: string;
  /** A directory, or `zk://host:port[,host:port]/chroot` for state shared by several reconcilers. */
  state: string;
  /** The HTTP address this process serves, advertised to followers when it leads. */
  listen?: string;
  /** Deployment records kept before the oldest are pruned. */
  historyLimit?: number;
  /** What one file and one commit may weigh (`--max-file-size`, `--max-commit-size`); by default the defaults. */
  limits?: LoadLimits;
  /** False with `--no-color`; whether colour is used at all is `useColour`'s decision. */
  colour?: boolean;
  /** This machine's directory for the repository: `<top>/.borealis`; default `.borealis`. */
  home?: string;
}

export interface LoadedCommit {
  commit: string;
  ref: string;
  repository: LoadedRepository;
}

/** The branch head (or `ref`) of the tracked repository, validated; specs are cached in the state directory. */
export async function loadCommit(options: GlobalOptions, ref?: string): Promise<LoadedCommit> {
  const target = await targetRef(options, ref);
  const tree = new GitTree({ repo: options.repo, ref: target, path: options.path });
  return loadFrom(options, tree, target, () => tree.commit());
}

/**
 * The job root as it is in the work tree, validated. The cache is keyed by Git blob ids,
 * which the working tree's files have too, so its entries stay true for any commit.
 */
export async function loadWorkingTree(
  options: GlobalOptions,
  changes: UncommittedChanges,
): Promise<LoadedCommit> {
  const tree = new WorkingTree(changes);
  return loadFrom(options, tree, 'the working tree', () => Promise.resolve(changes.baseCommit));
}

/**
 * Uncommitted changes to the job root that a plan without `--ref` previews; none when the
 * tracked branch is not the one checked out (its head is planned then).
 */
export async function workingTreeChanges(options: GlobalOptions): Promise<UncommittedChanges | undefined> {
  try {
    if (options.branch !== undefined && options.branch !== (await currentBranch(options.repo)))
      return undefined;
    return await uncommittedChanges(options.repo, options.path);
  } catch {
    // No work tree (a bare repository) or no branch checked out: the commit is planned, or its error shown.
    return undefined;
  }
}

async function loadFrom(
  options: GlobalOptions,
  tree: RepoTree,
  target: string,
  commit: () => Promise<string>,
): Promise<LoadedCommit> {
  const specs = openSpecCache(options);
  try {
    const repository = await loadRepository(tree, { cache: specs.cache, limits: options.limits });
    await specs.save();
    return { commit: await commit(), ref: target, repository };
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

/** The commit the branch head (or `ref`) names now; undefined when Git cannot say (the load then reports why). */
export async function resolveCommit(options: GlobalOptions, ref?: string): Promise<string | undefined> {
  try {
    const target = await targetRef(options, ref);
    const args = ['rev-parse', '--verify', '--quiet', '--end-of-options', `${target}^{commit}`];
    return (await run('git', args, { cwd: options.repo })).stdout.trim();
  } catch {
    return undefined;
  }
}

/** The spec cache of the state directory: validated jobs by file id, shared by plan and reconcile. */
export function openSpecCache(options: GlobalOptions): { cache: SpecCache; save(): Promise<void> } {
  const file = join(localDir(options), 'cache', 'specs.json');
  const cache = SpecCache.load(file, currentProducer());
  // A cache that cannot be written only makes the next run slower.
  return { cache, save: () => cache.save(file).catch(() => undefined) };
}

/** What a command reads: `ref`, else the tracked branch, else the repository's current branch. */
async function targetRef(options: GlobalOptions, ref: string | undefined): Promise<string> {
  return ref ?? options.branch ?? (await currentBranch(options.repo));
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
  const declared = clusters.map((c) => c.name).join(', ') || 'none';
  throw new BorealisError(
    'UNKNOWN_CLUSTER',
    `no cluster named "${options.cluster}" in clusters.yaml (declared: ${declared})`,
    { hint: 'choose a declared cluster with --cluster NAME' },
  );
}

/** Where this machine keeps local things: the state directory, or the repository's when state lives in ZooKeeper. */
export function localDir(options: GlobalOptions): string {
  return isZkUrl(options.state) ? (options.home ?? '.borealis') : options.state;
}

/**
 * What read-only commands look at: the local cluster, or a Mesos cluster as its leading
 * reconciler sees it, else through the master's operator API. `prefetched` is a view asked
 * for before the commit named the cluster's type (see `prefetchLeaderView`).
 */
export function openCluster(
  options: GlobalOptions,
  config: ClusterConfig | undefined,
  store: StateStore,
  prefetched?: LeaderViewPrefetch,
): Cluster {
  const reader = openReader(localDir(options), config, store);
  if (config?.type !== 'mesos') {
    prefetched?.cancel();
    return reader;
  }
  let first = prefetched?.view;
  const view = () => {
    const taken = first ?? leaderView(options);
    first = undefined; // a later snapshot asks again
    return taken;
  };
  return new LeaderFirstCluster({ view, fallback: reader });
}

export interface LeaderViewPrefetch {
  view: Promise<ObservedTask[] | undefined>;
  cancel(): void;
}

/**
 * Asks the leading reconciler for its view now, so its answer (half a second for 100,000
 * tasks) travels while the commit is loaded; cancelled when the cluster is not Mesos.
 */
export function prefetchLeaderView(options: GlobalOptions): LeaderViewPrefetch {
  const controller = new AbortController();
  const view = leaderView(options, controller.signal);
  return { view, cancel: () => controller.abort() };
}

/** The leader's tasks; undefined (the master is asked) when none leads or it cannot say. */
async function leaderView(options: GlobalOptions, signal?: AbortSignal): Promise<ObservedTask[] | undefined> {
  const found = await leaderUrl({ state: options.state, localDir: localDir(options), auth: zkAuth() });
  if ('none' in found || signal?.aborted) return undefined;
  try {
    return await fetchLeaderView({ url: found.url, cluster: options.cluster, signal });
  } catch (error) {
    if (signal?.aborted) return undefined;
    process.stderr.write(
      `borealis: the leading reconciler gave no view of ${options.cluster} (${(error as Error).message}); asking the Mesos master\n`,
    );
    return undefined;
  }
}

/** The backend that applies commits: the local cluster, or Borealis subscribed as a Mesos framework. */
async function openBackend(
  options: GlobalOptions,
  config: ClusterConfig | undefined,
  store: StateStore,
  log: Log,
): Promise<Cluster> {
  if (config?.type !== 'mesos') return openLocal(localDir(options), config);
  return openMesosDriver(config, store, log);
}

/** The local cluster, with the sandbox root clusters.yaml gives it (for `logs` and `local down`). */
export async function openLocalCluster(options: GlobalOptions): Promise<LocalCluster> {
  const config = await headClusterConfig(options);
  if (config?.type === 'mesos') {
    throw new BorealisError('LOCAL_ONLY', `cluster "${config.name}" is a Mesos cluster, not the local one`, {
      hint: "a Mesos task's logs are in its agent's sandbox (the Mesos web UI, or GET /files/read on the agent)",
    });
  }
  return openLocal(localDir(options), config);
}

/**
 * The cluster's entry in clusters.yaml at the branch head; undefined when the repository
 * cannot say (no repository, no valid clusters.yaml). A cluster it does not declare is an error.
 */
export async function headClusterConfig(options: GlobalOptions): Promise<ClusterConfig | undefined> {
  let tree: GitTree | undefined;
  try {
    tree = new GitTree({ repo: options.repo, ref: await targetRef(options, undefined), path: options.path });
    const clusters = await declaredClusters(tree);
    return clusters && clusterConfig(options, clusters);
  } catch (error) {
    if (error instanceof BorealisError && error.code === 'UNKNOWN_CLUSTER') throw error;
    return undefined;
  } finally {
    await tree?.close();
  }
}

/** The clusters a tree's clusters.yaml declares; undefined when it has none or an invalid one. */
async function declaredClusters(tree: GitTree): Promise<readonly ClusterConfig[] | undefined> {
  const files = await tree.read(['clusters.yaml', 'clusters.yml']);
  const [file, text] = [...files][0] ?? [];
  const loaded = loadClusters(file, text);
  return loaded.valid ? loaded.clusters : undefined;
}

/** Records for reading (and, with file state, writing): ZooKeeper state is opened without leadership. */
export async function openRecords(options: GlobalOptions): Promise<Records> {
  const snapshot = recordsSnapshot(options);
  if (!isZkUrl(options.state))
    return new Records(await openFileStore(options.state), snapshot, asideDir(options));
  const { connect, chroot } = parseZkUrl(options.state);
  const session = await ZkSession.open({ connect, auth: zkAuth(), sessionTimeoutMs: zkSessionTimeoutMs() });
  const store = await ZooKeeperStateStore.open({ session, chroot: `${chroot}/state` });
  return new Records(
    new DelegatingStore(
      () => store,
      async () => {
        await store.close();
        session.close();
      },
    ),
    snapshot,
    asideDir(options),
  );
}

/** Where records that cannot be read are moved, one directory per run that moves any: `<state>/corrupt/<UTC time>`. */
export function asideDir(options: GlobalOptions, at = new Date()): string {
  return resolve(localDir(options), 'corrupt', at.toISOString().replace(/[:.]/g, '-'));
}

async function openFileStore(stateDir: string): Promise<FileStateStore> {
  try {
    return await FileStateStore.open(join(stateDir, 'store'));
  } catch (error) {
    if (!systemCode(error)) throw error;
    throw new BorealisError(
      'STATE_UNUSABLE',
      `cannot use ${stateDir} as the state directory: ${(error as Error).message}`,
      {
        cause: error,
        hint: 'pass --state with a directory this user can create and write, or a zk:// URL',
      },
    );
  }
}

/** The job records as this machine last read them, beside the spec cache. */
function recordsSnapshot(options: GlobalOptions): RecordsSnapshot {
  return new RecordsSnapshot(join(localDir(options), 'cache', 'job-records.json'));
}

/** A shorter session timeout hands leadership over faster (tests use about 2 s); ZooKeeper bounds it by its tickTime. */
export function zkSessionTimeoutMs(): number | undefined {
  const value = Number(process.env.BOREALIS_ZK_SESSION_TIMEOUT_MS);
  return Number.isFinite(value) && value > 0 ? value : undefined;
}

/** Digest credentials for ZooKeeper come from the environment, never from flags. */
export function zkAuth(): ZkAuth | undefined {
  const digest = process.env.BOREALIS_ZK_DIGEST;
  return digest ? { digest } : undefined;
}

/** Everything that applies commits: the tracked source, the cluster and both kinds of records. */
export interface DeployEnvironment {
  source: TrackedSource;
  cluster: Cluster;
  records: Records;
  deployments: DeploymentLog;
  /** Present when state lives in ZooKeeper: leadership, fencing and the session. */
  coordinator?: Coordinator;
  close(): Promise<void>;
}

/** `log`: where the backends and ZooKeeper coordination say what happens to them. */
export async function openDeployEnvironment(
  options: GlobalOptions,
  log: Log = stderrLog,
): Promise<DeployEnvironment> {
  const source = await TrackedSource.open({
    repo: options.repo,
    branch: options.branch,
    path: options.path,
    stateDir: localDir(options),
  });
  const config = await clusterConfigAt(source, await source.head(), options);
  if (!isZkUrl(options.state)) {
    const records = await openRecords(options);
    const cluster = await openBackend(options, config, records.store, log);
    const close = async () => {
      await cluster.close();
      await records.store.close();
      await source.close();
    };
    return {
      source,
      cluster,
      records,
      deployments: new DeploymentLog(records.store, options.historyLimit),
      close,
    };
  }
  const { connect, chroot } = parseZkUrl(options.state);
  const coordinator = await Coordinator.start({
    connect,
    chroot,
    auth: zkAuth(),
    sessionTimeoutMs: zkSessionTimeoutMs(),
    listen: options.listen,
    log,
  });
  const records = new Records(coordinator.store, recordsSnapshot(options), asideDir(options));
  // Mesos keeps one subscription per framework: only the leader subscribes; followers read.
  const backend =
    config?.type === 'mesos'
      ? new LeaderScopedCluster({
          kind: 'mesos',
          leadership: coordinator,
          open: () => openMesosDriver(config, coordinator.store, log),
          follower: openReader(localDir(options), config, coordinator.store),
          log,
        })
      : openLocal(localDir(options), config);
  const close = async () => {
    await backend.close();
    await coordinator.close();
    await source.close();
  };
  const cluster = new FencedCluster(backend, coordinator);
  return {
    source,
    cluster,
    records,
    deployments: new DeploymentLog(records.store, options.historyLimit),
    coordinator,
    close,
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
    const clusters = await declaredClusters(tree);
    return clusters && clusterConfig(options, clusters);
  } finally {
    await tree.close();
  }
}
