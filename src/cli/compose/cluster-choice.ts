/**
 * Which cluster a command that does not deploy looks at, by the type clusters.yaml gives
 * `--cluster`: the local cluster, or a Mesos cluster as its leading reconciler sees it,
 * else through the master's operator API.
 */
import type { LocalCluster } from '../../cluster/local/cluster.js';
import { LeaderFirstCluster } from '../../cluster/leader-view/leader-first-cluster.js';
import type { Cluster } from '../../cluster/types.js';
import { BorealisError } from '../../errors.js';
import type { ClusterConfig } from '../../jobspec/types.js';
import type { StateStore } from '../../state/types.js';
import type { GlobalOptions } from '../global-options.js';
import type { Notice } from '../io.js';
import { openLocal, openReader } from './backends.js';
import { headClusterConfig } from './cluster-config.js';
import { leaderView, type LeaderViewPrefetch } from './leader-view-prefetch.js';
import { localDir } from './local-dir.js';

/** `prefetched`: a view asked for before the commit named the cluster's type (see `prefetchLeaderView`). */
export function openCluster(
  options: GlobalOptions,
  config: ClusterConfig | undefined,
  store: StateStore,
  notice: Notice,
  prefetched?: LeaderViewPrefetch,
): Cluster {
  const reader = openReader(localDir(options), config, store);
  if (config?.type !== 'mesos') {
    prefetched?.cancel();
    return reader;
  }
  let first = prefetched?.view;
  const view = async () => {
    const taken = first ?? leaderView(options);
    first = undefined; // a later snapshot asks again
    const { tasks, failure } = await taken;
    if (failure !== undefined) notice(failure);
    return tasks;
  };
  return new LeaderFirstCluster({ view, fallback: reader });
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
