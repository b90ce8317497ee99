/**
 * Asking the leading reconciler for its view. When there is no leader, or it does not answer
 * in time, the reader falls back to the cluster itself (`LeaderFirstCluster`), so a plan
 * never depends on a daemon running.
 */
import type { ObservedTask } from '../types.js';
import { decodeObservedView } from './wire.js';

export interface LeaderViewOptions {
  /** The leader's HTTP base URL, e.g. `http://10.0.0.5:7070`. */
  url: string;
  /** The cluster the reader wants; a leader of another cluster is not asked twice. */
  cluster: string;
  timeoutMs?: number;
  /** Aborts the request (a caller that no longer needs the view). */
  signal?: AbortSignal;
}

const DEFAULT_TIMEOUT_MS = 10_000;

/** The leader's tasks; throws, saying why, when it has none to give for this cluster. */
export async function fetchLeaderView(options: LeaderViewOptions): Promise<ObservedTask[]> {
  const url = `${options.url.replace(/\/+$/, '')}/api/observed`;
  const timeout = AbortSignal.timeout(options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  const signal = options.signal ? AbortSignal.any([timeout, options.signal]) : timeout;
  const response = await fetch(url, { signal });
  if (response.status !== 200) {
    const detail = (await response.text()).trim().slice(0, 300);
    throw new Error(`GET ${url} answered ${response.status}${detail ? `: ${detail}` : ''}`);
  }
  return decodeObservedView(await response.json(), options.cluster, url);
}
