/**
 * Where this machine keeps its own things for a repository: the state directory, or, when
 * state lives in ZooKeeper, the repository's `.borealis`. Caches and moved-aside records
 * live here; nothing in it is shared with other reconcilers.
 */
import { join, resolve } from 'node:path';
import { isZkUrl } from '../../zookeeper/url.js';
import type { GlobalOptions } from '../global-options.js';

/** The state directory, or the repository's when state lives in ZooKeeper. */
export function localDir(options: Pick<GlobalOptions, 'state' | 'home'>): string {
  return isZkUrl(options.state) ? (options.home ?? '.borealis') : options.state;
}

/** Where records that cannot be read are moved, one directory per run that moves any: `<state>/corrupt/<UTC time>`. */
export function asideDir(options: Pick<GlobalOptions, 'state' | 'home'>, at = new Date()): string {
  return resolve(localDir(options), 'corrupt', at.toISOString().replace(/[:.]/g, '-'));
}

/** The spec cache: validated jobs by Git blob id, shared by plan and reconcile. */
export function specCacheFile(options: Pick<GlobalOptions, 'state' | 'home'>): string {
  return join(localDir(options), 'cache', 'specs.json');
}

/** The job records as this machine last read them, beside the spec cache. */
export function recordsSnapshotFile(options: Pick<GlobalOptions, 'state' | 'home'>): string {
  return join(localDir(options), 'cache', 'job-records.json');
}
