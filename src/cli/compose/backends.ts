/**
 * The cluster backends the CLI opens, from a cluster's entry in clusters.yaml: the local
 * cluster; Borealis subscribed as the Mesos framework (only what applies commits); and a
 * Mesos cluster read through the operator API (status, plan, and reconcilers that follow).
 */
import { userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import { LocalCluster } from '../../cluster/local/cluster.js';
import { MesosCluster, recordedFrameworkId } from '../../cluster/mesos/cluster.js';
import { detectLeader } from '../../cluster/mesos/leader-detector.js';
import { OperatorClient } from '../../cluster/mesos/operator-client.js';
import { OperatorCluster } from '../../cluster/mesos/operator-cluster.js';
import type { Cluster } from '../../cluster/types.js';
import type { ClusterConfig, LocalClusterConfig, MesosClusterConfig } from '../../jobspec/types.js';
import type { StateStore } from '../../state/types.js';
import { prefixed, type Log } from '../../util/log.js';

/** The local cluster's sandboxes live under `localDir` unless clusters.yaml says otherwise. */
export function openLocal(
  localDir: string,
  config?: LocalClusterConfig,
  options: { readOnly?: boolean } = {},
): LocalCluster {
  const root = config?.sandbox_root ? resolve(localDir, config.sandbox_root) : join(localDir, 'sandboxes');
  return new LocalCluster({ root, readOnly: options.readOnly });
}

/** What read-only commands look at: never a subscription (only one scheduler may hold it). */
export function openReader(localDir: string, config: ClusterConfig | undefined, store: StateStore): Cluster {
  if (config?.type !== 'mesos') return openLocal(localDir, config, { readOnly: true });
  return new OperatorCluster({
    client: async () => new OperatorClient({ masters: await mesosMasters(config) }),
    frameworkId: () => recordedFrameworkId(store),
  });
}

/** Subscribes as the framework; the framework id and task records live in `store`. */
export async function openMesosDriver(
  config: MesosClusterConfig,
  store: StateStore,
  log: Log,
): Promise<MesosCluster> {
  const listed = listedMasters(config);
  const zkMaster = listed.find(isZk);
  const cluster = new MesosCluster({
    masters: listed.filter((url) => !isZk(url)),
    // With zk://…/mesos the leader is looked up again before every subscribe, so a master
    // failover is followed even when the old leader is gone.
    ...(zkMaster ? { resolveMasters: () => mesosMasters(config) } : {}),
    framework: { user: config.user ?? userInfo().username, roles: [config.role ?? '*'] },
    store,
    log: prefixed(log, 'mesos: '),
  });
  await cluster.start();
  return cluster;
}

/** The masters to try: the leader found in ZooKeeper, or the listed URLs (307s lead to the leader). */
export async function mesosMasters(config: MesosClusterConfig): Promise<string[]> {
  const listed = listedMasters(config);
  const zkMaster = listed.find(isZk);
  return zkMaster ? [await detectLeader(zkMaster)] : listed;
}

const isZk = (url: string) => url.startsWith('zk://');

function listedMasters(config: MesosClusterConfig): string[] {
  return Array.isArray(config.master) ? config.master : [config.master];
}
