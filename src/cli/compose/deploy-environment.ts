/**
 * Everything that applies commits, wired for `reconcile` and `watch`: the tracked source,
 * the cluster backend clusters.yaml names (at the branch head, or at the commit last applied
 * when the head's is invalid: `deployClusterConfig`), and the records, in a state directory
 * or in ZooKeeper (then with leadership and fencing).
 */
import { FencedCluster } from '../../cluster/fenced.js';
import { LeaderScopedCluster } from '../../cluster/leader-scoped.js';
import type { Cluster } from '../../cluster/types.js';
import type { ClusterConfig } from '../../jobspec/types.js';
import { TrackedSource } from '../../source/tracked.js';
import { DeploymentLog } from '../../state/deployments.js';
import type { Records } from '../../state/records.js';
import type { StateStore } from '../../state/types.js';
import type { Log } from '../../util/log.js';
import { Coordinator } from '../../zookeeper/coordinator.js';
import { isZkUrl, parseZkUrl } from '../../zookeeper/url.js';
import type { GlobalOptions } from '../global-options.js';
import { openLocal, openMesosDriver, openReader } from './backends.js';
import { deployClusterConfig } from './cluster-config.js';
import { localDir } from './local-dir.js';
import { openRecords, recordsIn } from './open-records.js';
import { zkAuth, zkSessionTimeoutMs } from './zookeeper.js';

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
export async function openDeployEnvironment(options: GlobalOptions, log: Log): Promise<DeployEnvironment> {
  const source = await TrackedSource.open({
    repo: options.repo,
    branch: options.branch,
    path: options.path,
    stateDir: localDir(options),
  });
  const opening = isZkUrl(options.state)
    ? openCoordinated(options, source, log)
    : openAlone(options, source, log);
  return opening.catch(async (error: unknown) => {
    await source.close();
    throw error;
  });
}

function configFor(
  options: GlobalOptions,
  source: TrackedSource,
  records: Records,
): Promise<ClusterConfig | undefined> {
  return deployClusterConfig(source, async () => (await records.applied())?.commit, options);
}

/** State in a directory: one reconciler, which holds the backend from the start. */
async function openAlone(
  options: GlobalOptions,
  source: TrackedSource,
  log: Log,
): Promise<DeployEnvironment> {
  const records = await openRecords(options);
  const config = await configFor(options, source, records).catch(async (error: unknown) => {
    await records.store.close();
    throw error;
  });
  const cluster = await openBackend(options, config, records.store, log);
  const close = async () => {
    await cluster.close();
    await records.store.close();
    await source.close();
  };
  return { source, cluster, records, deployments: deploymentLog(options, records), close };
}

/** State in ZooKeeper: reconcilers elect a leader, and only the leader's actions reach the cluster. */
async function openCoordinated(
  options: GlobalOptions,
  source: TrackedSource,
  log: Log,
): Promise<DeployEnvironment> {
  const { connect, chroot } = parseZkUrl(options.state);
  const coordinator = await Coordinator.start({
    connect,
    chroot,
    auth: zkAuth(),
    sessionTimeoutMs: zkSessionTimeoutMs(),
    listen: options.listen,
    log,
  });
  const records = recordsIn(options, coordinator.store);
  const config = await configFor(options, source, records).catch(async (error: unknown) => {
    await coordinator.close();
    throw error;
  });
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
  return { source, cluster, records, deployments: deploymentLog(options, records), coordinator, close };
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

function deploymentLog(options: GlobalOptions, records: Records): DeploymentLog {
  return new DeploymentLog(records.store, options.historyLimit);
}
