/**
 * Where the leading reconciler serves HTTP, for commands that would rather ask it than the
 * cluster (its view of a Mesos cluster is cheaper and no less current). With state in
 * ZooKeeper the leader says so in its election node; with state in a directory, the one
 * `watch` writes `watch.json` there while it runs.
 */
import { hostname } from 'node:os';
import { join } from 'node:path';
import { readTextIfExists, removeFileDurably, writeFileDurably } from '../../util/durable-file.js';
import type { ZkAuth } from '../../zookeeper/session.js';
import { isZkUrl } from '../../zookeeper/url.js';
import { httpUrl, parseListen } from '../../server/listen.js';
import { isAlive, ownIdentity, type ProcessIdentity } from '../../state/file/process-identity.js';
import { electedLeader } from './zookeeper.js';

/** Where state lives: a directory or a `zk://` URL, and this machine's directory. */
export interface StateLocation {
  state: string;
  localDir: string;
  auth?: ZkAuth;
}

export interface WatchAnnouncement {
  pid: number;
  /** Which process that pid was (start time, boot): a pid reused since is not the watch. */
  process: ProcessIdentity;
  host: string;
  /** The HTTP base URL, reachable from this machine. */
  url: string;
  cluster: string;
  started_at: string;
}

const FILE = 'watch.json';

/** Writes `watch.json` into a state directory; returns what removes it (if still this process's). */
export async function announceWatch(dir: string, cluster: string, url: string): Promise<() => Promise<void>> {
  const file = join(dir, FILE);
  const announcement: WatchAnnouncement = {
    pid: process.pid,
    process: ownIdentity(),
    host: hostname(),
    url,
    cluster,
    started_at: new Date().toISOString(),
  };
  await writeFileDurably(file, `${JSON.stringify(announcement, null, 2)}\n`);
  return async () => {
    if ((await readAnnouncement(file))?.pid === process.pid) await removeFileDurably(file);
  };
}

/** The leader's HTTP base URL, or why there is none to ask. */
export async function leaderUrl(where: StateLocation): Promise<{ url: string } | { none: string }> {
  try {
    return isZkUrl(where.state) ? await electedLeaderUrl(where) : await announcedUrl(where.localDir);
  } catch (error) {
    return { none: `the leader could not be looked up: ${(error as Error).message}` };
  }
}

async function electedLeaderUrl(where: StateLocation): Promise<{ url: string } | { none: string }> {
  const leader = await electedLeader(where.state, { auth: where.auth, connectTimeoutMs: 3_000 });
  if (!leader) return { none: 'no reconciler leads' };
  if (!leader.listen) return { none: `the leader on ${leader.host} serves no HTTP` };
  const { host, port } = parseListen(leader.listen);
  // Elected before its server was bound to a free port: it says the real one in a moment.
  if (port === 0) return { none: `the leader on ${leader.host} is not serving HTTP yet` };
  return { url: httpUrl(host === '0.0.0.0' || host === '::' ? leader.host : host, port) };
}

async function announcedUrl(dir: string): Promise<{ url: string } | { none: string }> {
  const announcement = await readAnnouncement(join(dir, FILE));
  if (!announcement) return { none: 'no watch runs on this state directory' };
  if (announcement.host === hostname() && !isAlive(announcement.process))
    return { none: `the watch that announced ${announcement.url} (pid ${announcement.pid}) is gone` };
  return { url: announcement.url };
}

async function readAnnouncement(file: string): Promise<WatchAnnouncement | undefined> {
  const text = await readTextIfExists(file);
  if (text === null) return undefined;
  try {
    const announcement = JSON.parse(text) as Partial<WatchAnnouncement>;
    return typeof announcement.url === 'string' && typeof announcement.process?.pid === 'number'
      ? (announcement as WatchAnnouncement)
      : undefined;
  } catch {
    return undefined; // half-written by hand, or from another version: not worth failing a plan
  }
}
