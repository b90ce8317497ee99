/**
 * Values too large for one znode. ZooKeeper refuses any request above jute.maxbuffer
 * (1 MiB by default, the whole request: one multi cannot carry more either), so a large
 * value is split into chunk znodes, each written by its own request *before* the multi,
 * under a fresh write id:
 *
 *   <root>/@chunks/<key segments joined by +>/<write id>.<index>
 *
 * Nothing refers to them until the multi sets the key's manifest (`node-data.ts`), and the
 * multi also checks that each chunk still exists, so a reader only ever follows a manifest
 * to chunks that were complete when it was written. The multi that replaces or deletes the
 * value removes the old chunks. Chunks are never modified, only created and removed, so a
 * reader that finds one gone knows the value was replaced and reads the key again.
 *
 * Chunks of a write that never committed (a conflict, a crash, a lost connection before
 * the answer) are removed by the writer when it knows the multi failed, and otherwise by
 * `sweepChunks` once they are older than a grace period no live write can take.
 */
import { createHash, randomUUID } from 'node:crypto';
import { hasCode, ZK_CODES, type ZkSession } from '../../zookeeper/session.js';
import type { Manifest } from './node-data.js';
import type { Payload } from './transaction.js';
import { chunkDirectory, chunkPath, chunkWriteId } from './paths.js';

export interface ChunkWrite {
  path: string;
  data: Buffer;
}

export function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

export function chunkPaths(root: string, key: string, manifest: Manifest): string[] {
  return Array.from({ length: manifest.count }, (_, index) => chunkPath(root, key, manifest.id, index));
}

/** Splits a value's JSON into chunks of at most `chunkBytes` under a fresh write id. */
export function splitValue(
  root: string,
  key: string,
  json: Buffer,
  chunkBytes: number,
): { payload: Payload; writes: ChunkWrite[] } {
  const manifest: Manifest = {
    id: randomUUID(),
    count: Math.max(1, Math.ceil(json.length / chunkBytes)),
    bytes: json.length,
    sha256: sha256(json),
  };
  const paths = chunkPaths(root, key, manifest);
  const writes = paths.map((path, index) => ({
    path,
    data: json.subarray(index * chunkBytes, (index + 1) * chunkBytes),
  }));
  return { payload: { inline: null, chunks: manifest, chunkPaths: paths }, writes };
}

async function createChunk(session: ZkSession, write: ChunkWrite): Promise<void> {
  try {
    await session.create(write.path, write.data);
  } catch (error) {
    // The key's first chunks, or a sweep removed the emptied directory: make it, once.
    if (!hasCode(error, ZK_CODES.NO_NODE)) throw error;
    await session.mkdirp(write.path.slice(0, write.path.lastIndexOf('/')));
    await session.create(write.path, write.data);
  }
}

/** Creates the chunks, all requests in flight at once (their directory when missing). */
export async function writeChunks(session: ZkSession, writes: readonly ChunkWrite[]): Promise<void> {
  await Promise.all(writes.map((write) => createChunk(session, write)));
}

/** Best effort: what is left behind is swept later. */
export async function removeQuietly(session: ZkSession, paths: readonly string[]): Promise<void> {
  await Promise.all(paths.map((path) => session.remove(path).catch(() => undefined)));
}

/** The value's JSON, or null when a chunk is gone (the value was replaced since the manifest was read). */
export async function readChunks(session: ZkSession, paths: readonly string[]): Promise<Buffer | null> {
  const chunks = await Promise.all(paths.map((path) => session.get(path)));
  if (chunks.some((chunk) => chunk === null)) return null;
  return Buffer.concat(chunks.map((chunk) => chunk?.data ?? Buffer.alloc(0)));
}

function millis(time: Buffer): number {
  return Number(time.readBigInt64BE());
}

/**
 * Removes chunks of `key` that no manifest refers to: every write id but `keep` (the
 * current manifest's) whose chunks were created more than `graceMs` ago, by the server's
 * clock compared with ours (a few seconds of skew do not matter against the grace).
 * Best effort: errors are left for the next sweep.
 */
export async function sweepChunks(
  session: ZkSession,
  root: string,
  key: string,
  keep: string | null,
  graceMs: number,
): Promise<void> {
  const directory = chunkDirectory(root, key);
  const names = (await session.children(directory).catch(() => null)) ?? [];
  const candidates = names
    .filter((name) => chunkWriteId(name) !== keep)
    .map((name) => `${directory}/${name}`);
  const stats = await Promise.all(candidates.map((path) => session.exists(path).catch(() => null)));
  const stale = candidates.filter((_, index) => {
    const stat = stats[index];
    return stat != null && Date.now() - millis(stat.ctime) > graceMs;
  });
  await removeQuietly(session, stale);
  // An emptied directory goes too (a writer that loses it to this makes it again).
  if (keep === null && stale.length === names.length) await removeQuietly(session, [directory]);
}
