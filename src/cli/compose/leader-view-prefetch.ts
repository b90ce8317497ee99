/**
 * The leading reconciler's view of a Mesos cluster, asked for as soon as a command starts:
 * its answer (costly for a large cluster; docs/performance.md) travels while the commit is loaded, and
 * is dropped when the commit says the cluster is not Mesos. Why a leader gave no view is
 * said only when the view was wanted, so a local cluster's commands never mention it.
 */
import { fetchLeaderView } from '../../cluster/leader-view/client.js';
import type { ObservedTask } from '../../cluster/types.js';
import type { GlobalOptions } from '../global-options.js';
import { leaderUrl } from './leader-address.js';
import { localDir } from './local-dir.js';
import { zkAuth } from './zookeeper.js';

/** The leader's tasks; none (the master is asked) when no one leads, or with why a leader gave none. */
export interface LeaderViewAnswer {
  tasks?: ObservedTask[];
  /** Worth a notice: a leader was found and did not answer. */
  failure?: string;
}

export interface LeaderViewPrefetch {
  view: Promise<LeaderViewAnswer>;
  cancel(): void;
}

/** Asks the leading reconciler for its view now; cancelled when the cluster is not Mesos. */
export function prefetchLeaderView(options: GlobalOptions): LeaderViewPrefetch {
  const controller = new AbortController();
  const view = leaderView(options, controller.signal);
  return { view, cancel: () => controller.abort() };
}

export async function leaderView(options: GlobalOptions, signal?: AbortSignal): Promise<LeaderViewAnswer> {
  const found = await leaderUrl({ state: options.state, localDir: localDir(options), auth: zkAuth() });
  if ('none' in found || signal?.aborted) return {};
  try {
    return { tasks: await fetchLeaderView({ url: found.url, cluster: options.cluster, signal }) };
  } catch (error) {
    if (signal?.aborted) return {};
    const why = (error as Error).message;
    return {
      failure: `the leading reconciler gave no view of ${options.cluster} (${why}); asking the Mesos master`,
    };
  }
}
