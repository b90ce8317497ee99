/**
 * The leading reconciler's view of a Mesos cluster, asked for as soon as a command starts:
 * its answer (half a second for a large cluster) travels while the commit is loaded, and
 * is dropped when the commit says the cluster is not Mesos.
 */
import { fetchLeaderView } from '../../cluster/leader-view/client.js';
import type { ObservedTask } from '../../cluster/types.js';
import type { GlobalOptions } from '../global-options.js';
import type { Notice } from '../io.js';
import { leaderUrl } from './leader-address.js';
import { localDir } from './local-dir.js';
import { zkAuth } from './zookeeper.js';

export interface LeaderViewPrefetch {
  view: Promise<ObservedTask[] | undefined>;
  cancel(): void;
}

/** Asks the leading reconciler for its view now; cancelled when the cluster is not Mesos. */
export function prefetchLeaderView(options: GlobalOptions, notice: Notice): LeaderViewPrefetch {
  const controller = new AbortController();
  const view = leaderView(options, notice, controller.signal);
  return { view, cancel: () => controller.abort() };
}

/** The leader's tasks; undefined (the master is asked) when none leads or it cannot say. */
export async function leaderView(
  options: GlobalOptions,
  notice: Notice,
  signal?: AbortSignal,
): Promise<ObservedTask[] | undefined> {
  const found = await leaderUrl({ state: options.state, localDir: localDir(options), auth: zkAuth() });
  if ('none' in found || signal?.aborted) return undefined;
  try {
    return await fetchLeaderView({ url: found.url, cluster: options.cluster, signal });
  } catch (error) {
    if (signal?.aborted) return undefined;
    notice(
      `the leading reconciler gave no view of ${options.cluster} (${(error as Error).message}); asking the Mesos master`,
    );
    return undefined;
  }
}
