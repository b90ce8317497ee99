/**
 * `StateStore` on ZooKeeper, for reconcilers on several machines: one znode per key under
 * a root (the chroot, e.g. `/borealis/clusters/west/state`), written with versioned
 * operations and ZooKeeper `multi`, optionally fenced by the leader's election node.
 *
 * Layout under the root (what `records.ts` and `deployments.ts` keep there):
 *
 *   applied                  the last applied commit
 *   jobs/<job id>            per job: the configuration last applied (job ids encoded as one segment)
 *   deployments/<sequence>   the deployment log, 12-digit sequences (bounded: DeploymentLog prunes the oldest)
 *   updates/<job id>         per job: an in-flight rollout, saved before every step
 *   framework-id             the Mesos framework id
 *   @chunks/…                pieces of values larger than one znode may hold (chunks.ts)
 *
 * Each key's znode holds the value's JSON, and the key's version is the znode's data
 * version (a created znode is version 0, every write adds 1), so `zkCli.sh get` shows the
 * record and its version as they are. A key may also have sub-keys (its znode then has
 * children); a znode without data is a bare prefix, not a key. Writing a key onto a bare
 * znode, or deleting one whose znode must stay for its sub-keys, is where the znode's
 * version and the key's part: the znode then carries the offset (`node-data.ts`).
 *
 * Writes: every write (conditional or not, so versions never skip or repeat) reads the
 * znodes it touches, checks the conditions on that read, and commits one multi pinned to
 * exactly what it read (`plan.ts`); if anything changed meanwhile, the multi fails whole
 * and the write reads and plans again. A failed condition is a `StateConflictError`,
 * decided on a fresh read. Transactions are the same thing with several operations.
 *
 * Parents are created outside the multi, when a multi fails because a create found no
 * parent (mkdirp, then read, plan and commit again), so the usual write pays nothing for
 * them. That is safe: a bare znode is invisible (no key reads it as a value, `list` skips
 * subtrees without keys), so parents left by a write that then failed change nothing
 * anyone can observe; a parent that another writer's delete prunes in between only makes
 * the multi fail and retry.
 *
 * Fencing: with `fence`, every multi starts with a `check` of the leader's election node,
 * so a reconciler that has lost leadership (its node gone with its session, or a new
 * leader elected) cannot write, however late its request arrives: `FencedError`. The
 * check proves the node exists, not who owns it, so the fence must be a node unique to one
 * term of leadership (an ephemeral sequential election node is).
 *
 * A record that cannot be decoded (a bad envelope, JSON that does not parse, chunks whose
 * length or SHA-256 differ from the manifest) fails with `StateCorruptError` naming the key
 * and znode; a bad envelope also fails writes, since the key's version is then unknown.
 *
 * Session: the store borrows the session and never closes it. A session that expires
 * fails every later operation (SESSION_EXPIRED); the owner opens a new session and a new
 * store. A disconnected session delays operations until it reconnects (ZkSession).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { BorealisError } from '../../errors.js';
import { hasCode, neverSent, ZK_CODES, ZkError, type ZkOp, type ZkSession } from '../../zookeeper/session.js';
import {
  assertValidKey,
  StateConflictError,
  StateCorruptError,
  type StateOperation,
  type StateStore,
  type Versioned,
} from '../types.js';
import {
  chunkPaths,
  readChunks,
  removeQuietly,
  sha256,
  splitValue,
  sweepChunks,
  writeChunks,
  type ChunkWrite,
} from './chunks.js';
import { decodeValue, parseJson, type StoredValue } from './node-data.js';
import { childPath, isInternalName, keyPath, normaliseRoot, parentPath, prefixPath } from './paths.js';
import {
  buildTransaction,
  requestBytes,
  type KeyNode,
  type Payload,
  type Transaction,
} from './transaction.js';

export interface ZooKeeperStateStoreOptions {
  session: ZkSession;
  /** The store's root znode, e.g. `/borealis/clusters/local/state`; created if missing. */
  chroot: string;
  /**
   * The leader's election node, checked in every write's multi. Returning undefined means
   * "not the leader": writes are refused at once (reads are not fenced).
   */
  fence?: () => string | undefined;
  /**
   * The largest ZooKeeper request the store sends (a multi, or one chunk); larger values
   * are split into chunks. Default 1,000,000 bytes: under the server's 1 MiB jute.maxbuffer.
   */
  maxRecordBytes?: number;
  /** How old unreferenced chunks must be before a sweep removes them; default 10 minutes. */
  orphanChunkGraceMs?: number;
}

/** A write refused because this writer is not (or no longer) the leader. */
export class FencedError extends BorealisError {
  constructor(
    readonly fence: string | undefined,
    readonly keys: readonly string[],
  ) {
    super(
      'STATE_FENCED',
      fence === undefined
        ? `state write to ${keys.join(', ')} refused: this reconciler is not the leader (no fence node)`
        : `state write to ${keys.join(', ')} refused: the leader node ${fence} is gone, so this reconciler is no longer the leader`,
      { hint: 'another reconciler leads now; this one must stop writing' },
    );
    this.name = 'FencedError';
  }
}

const DEFAULT_MAX_RECORD_BYTES = 1_000_000;
/** Room in a chunk's create request for its path and the request header. */
const CHUNK_HEADROOM_BYTES = 1_024;
const DEFAULT_ORPHAN_GRACE_MS = 10 * 60_000;
/** What the fence's check op may add to a request. */
const FENCE_ALLOWANCE_BYTES = 512;
/** Rounds of read-plan-commit before giving up on a key that keeps changing. */
const MAX_ATTEMPTS = 100;
/** Re-reads of a chunked value whose chunks were replaced while being read. */
const MAX_READ_ATTEMPTS = 10;
/** Multi errors that mean "something changed since the read": plan again. */
const CHANGED_SINCE_READ = [ZK_CODES.BAD_VERSION, ZK_CODES.NODE_EXISTS, ZK_CODES.NO_NODE, ZK_CODES.NOT_EMPTY];

function serialise(key: string, value: unknown): Buffer {
  const json = JSON.stringify(value) as string | undefined;
  if (json === undefined) throw new TypeError(`state value for ${key} is not JSON (${typeof value})`);
  return Buffer.from(json, 'utf8');
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Contention: after a few rounds, wait a random while so writers stop colliding in lockstep. */
async function backOff(attempt: number): Promise<void> {
  if (attempt < 3) return;
  const ms = Math.random() * Math.min(2 ** attempt, 200);
  await new Promise((resolve) => setTimeout(resolve, ms));
}

export class ZooKeeperStateStore implements StateStore {
  readonly kind = 'zookeeper';
  private readonly session: ZkSession;
  private readonly root: string;
  private readonly fence: (() => string | undefined) | undefined;
  private readonly maxRequestBytes: number;
  private readonly orphanGraceMs: number;
  private readonly active = new Set<Promise<unknown>>();
  private closed = false;

  private constructor(options: ZooKeeperStateStoreOptions) {
    this.session = options.session;
    this.root = normaliseRoot(options.chroot);
    this.fence = options.fence;
    this.maxRequestBytes = options.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES;
    this.orphanGraceMs = options.orphanChunkGraceMs ?? DEFAULT_ORPHAN_GRACE_MS;
    if (!(this.maxRequestBytes >= 2 * CHUNK_HEADROOM_BYTES)) {
      throw new Error(`maxRecordBytes must be at least ${2 * CHUNK_HEADROOM_BYTES}`);
    }
  }

  /** Creates the root znode if needed (with the session's ACL). */
  static async open(options: ZooKeeperStateStoreOptions): Promise<ZooKeeperStateStore> {
    const store = new ZooKeeperStateStore(options);
    if (store.root !== '') await store.session.mkdirp(store.root);
    return store;
  }

  /** Where the store keeps its keys, e.g. `/borealis/clusters/local/state`. */
  get chroot(): string {
    return this.root || '/';
  }

  async get<T = unknown>(key: string): Promise<Versioned<T> | null> {
    assertValidKey(key);
    return this.track(() => this.read<T>(key));
  }

  /** Requests are pipelined on the session's one connection. */
  async getMany<T = unknown>(keys: readonly string[]): Promise<(Versioned<T> | null)[]> {
    for (const key of keys) assertValidKey(key);
    return this.track(() => Promise.all(keys.map((key) => this.read<T>(key))));
  }

  async put(key: string, value: unknown, expectedVersion?: number | null): Promise<number> {
    const versions = await this.commit([{ op: 'put', key, value, expectedVersion }]);
    const version = versions.get(0);
    if (version === undefined) throw new Error(`zookeeper state store: put of ${key} planned no version`);
    return version;
  }

  async delete(key: string, expectedVersion?: number): Promise<void> {
    await this.commit([{ op: 'delete', key, expectedVersion }]);
  }

  /** Direct children that hold a key at any depth, sorted; `''` lists the top level. */
  async list(prefix: string): Promise<string[]> {
    if (prefix !== '') assertValidKey(prefix);
    return this.track(async () => {
      const parent = prefixPath(this.root, prefix);
      const names = ((await this.session.children(parent)) ?? []).filter((name) => !isInternalName(name));
      const holding = await Promise.all(names.map((name) => this.holdsKeys(childPath(parent, name))));
      return names.filter((_, index) => holding[index]).sort();
    });
  }

  async transaction(operations: StateOperation[]): Promise<void> {
    await this.commit(operations);
  }

  locate(key: string): string {
    return keyPath(this.root, key);
  }

  /**
   * The znode's data, as stored, goes to `<into>/<key>.znode`; the znode is then removed, or
   * emptied into a bare prefix when sub-keys live below it. Pinned to the version read, so a
   * write in between is not lost (the call then fails and can be run again). Chunks of a
   * large value stay behind until the key is written again and its chunks are swept.
   */
  async setAside(key: string, into: string): Promise<string | null> {
    assertValidKey(key);
    return this.track(async () => {
      const path = keyPath(this.root, key);
      const node = await this.session.get(path);
      if (node === null || node.data.length === 0) return null;
      const target = join(into, ...key.split('/')) + '.znode';
      await mkdir(dirname(target), { recursive: true });
      await writeFile(target, node.data);
      if (node.stat.numChildren > 0) await this.session.set(path, Buffer.alloc(0), node.version);
      else await this.session.remove(path, node.version);
      return target;
    });
  }

  /** Waits for operations in flight; later calls fail. The session stays open (it is the caller's). */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.allSettled([...this.active]);
  }

  private track<T>(work: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new Error(`zookeeper state store ${this.chroot} is closed`));
    const running = work();
    this.active.add(running);
    void running.finally(() => this.active.delete(running)).catch(() => undefined);
    return running;
  }

  // --- reads ---------------------------------------------------------------------------

  private async read<T>(key: string): Promise<Versioned<T> | null> {
    const path = keyPath(this.root, key);
    let previous: string | undefined;
    for (let attempt = 1; attempt <= MAX_READ_ATTEMPTS; attempt++) {
      const node = await this.session.get(path);
      const stored = node === null ? null : decodeValue(key, path, node.data);
      if (node === null || stored === null) return null;
      const json = await this.valueJson(key, path, stored);
      if (json !== null) return { version: node.version - stored.base, value: parseJson<T>(key, path, json) };
      // A chunk is gone: the value was replaced while we read it, unless the znode is unchanged.
      const seen = `${node.version}:${node.stat.mzxid.toString('hex')}`;
      if (seen === previous) break;
      previous = seen;
    }
    throw new StateCorruptError(key, path, new Error('its manifest names chunks that do not exist'));
  }

  /** The value's JSON, inline or from its chunks (null when a chunk is gone). */
  private async valueJson(key: string, path: string, stored: StoredValue): Promise<Buffer | null> {
    if (stored.chunks === null) return stored.inline ?? Buffer.alloc(0);
    const json = await readChunks(this.session, chunkPaths(this.root, key, stored.chunks));
    if (json !== null && (json.length !== stored.chunks.bytes || sha256(json) !== stored.chunks.sha256)) {
      throw new StateCorruptError(key, path, new Error('its chunks do not match their manifest'));
    }
    return json;
  }

  /** Whether a znode or any below it holds a key's value (bare prefixes left behind do not count). */
  private async holdsKeys(path: string): Promise<boolean> {
    const stat = await this.session.exists(path);
    if (stat === null) return false;
    if (stat.dataLength > 0) return true;
    if (stat.numChildren === 0) return false;
    const names = (await this.session.children(path)) ?? [];
    const below = await Promise.all(names.map((name) => this.holdsKeys(childPath(path, name))));
    return below.some(Boolean);
  }

  private async readNode(key: string): Promise<KeyNode> {
    const path = keyPath(this.root, key);
    const node = await this.session.get(path);
    if (node === null) return { path, zkVersion: -1, value: null, numChildren: 0 };
    return {
      path,
      zkVersion: node.version,
      value: decodeValue(key, path, node.data),
      numChildren: node.stat.numChildren,
    };
  }

  // --- writes --------------------------------------------------------------------------

  /** Validates everything first (nothing is written for a bad key or value), then commits. */
  private async commit(operations: readonly StateOperation[]): Promise<Map<number, number>> {
    if (operations.length === 0) return new Map();
    for (const operation of operations) assertValidKey(operation.key);
    const json = new Map<number, Buffer>();
    operations.forEach((operation, index) => {
      if (operation.op === 'put') json.set(index, serialise(operation.key, operation.value));
    });
    return this.track(() => this.commitWithRetries(operations, json));
  }

  private async commitWithRetries(
    operations: readonly StateOperation[],
    json: ReadonlyMap<number, Buffer>,
  ): Promise<Map<number, number>> {
    const keys = [...new Set(operations.map((operation) => operation.key))];
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      this.currentFence(keys); // a follower is refused before it reads anything
      const nodes = await Promise.all(keys.map((key) => this.readNode(key)));
      const read = new Map(keys.map((key, index) => [key, nodes[index] as KeyNode]));
      const { plan, chunks } = await this.planOrFence(operations, read, json, keys);
      // One key read once is already a consistent view: nothing to pin.
      if (!plan.writes && keys.length <= 1) return plan.versions;
      if (await this.execute(plan, chunks, keys)) {
        await this.tidy(plan);
        return plan.versions;
      }
      await backOff(attempt);
    }
    throw new Error(
      `zookeeper state store: gave up writing ${keys.join(', ')} after ${MAX_ATTEMPTS} attempts: other writers kept changing them`,
    );
  }

  /**
   * A deposed leader's write usually fails its conditions first (the new leader has
   * written since): it learns that it is fenced rather than that it lost a race.
   */
  private async planOrFence(
    operations: readonly StateOperation[],
    read: ReadonlyMap<string, KeyNode>,
    json: ReadonlyMap<number, Buffer>,
    keys: readonly string[],
  ): Promise<{ plan: Transaction; chunks: ChunkWrite[] }> {
    try {
      return this.planWithinLimit(operations, read, json);
    } catch (error) {
      const fence = error instanceof StateConflictError ? this.currentFence(keys) : undefined;
      if (fence !== undefined && (await this.session.exists(fence)) === null)
        throw new FencedError(fence, keys);
      throw error;
    }
  }

  /**
   * Plans with every value inline, then moves the largest values into chunks until the
   * multi fits in one request.
   */
  private planWithinLimit(
    operations: readonly StateOperation[],
    read: ReadonlyMap<string, KeyNode>,
    json: ReadonlyMap<number, Buffer>,
  ): { plan: Transaction; chunks: ChunkWrite[] } {
    const payloads = new Map<number, Payload>();
    for (const [index, bytes] of json) payloads.set(index, { inline: bytes, chunks: null, chunkPaths: [] });
    const chunks: ChunkWrite[] = [];
    const chunkPathsOf = (key: string, manifest: Parameters<typeof chunkPaths>[2]) =>
      chunkPaths(this.root, key, manifest);
    for (;;) {
      const plan = buildTransaction(operations, read, payloads, chunkPathsOf);
      const bytes = requestBytes(plan.ops) + (this.fence === undefined ? 0 : FENCE_ALLOWANCE_BYTES);
      if (bytes <= this.maxRequestBytes) return { plan, chunks };
      const largest = this.largestInline(payloads);
      if (largest === undefined) {
        throw new Error(
          `zookeeper state store: a transaction of ${operations.length} operations needs a ${bytes}-byte request, over the ${this.maxRequestBytes}-byte limit even with every value in chunks`,
        );
      }
      const key = operations[largest]?.key ?? '';
      const split = splitValue(this.root, key, json.get(largest) ?? Buffer.alloc(0), this.chunkBytes);
      payloads.set(largest, split.payload);
      chunks.push(...split.writes);
    }
  }

  private get chunkBytes(): number {
    return this.maxRequestBytes - CHUNK_HEADROOM_BYTES;
  }

  private largestInline(payloads: ReadonlyMap<number, Payload>): number | undefined {
    let largest: number | undefined;
    let size = 0;
    for (const [index, payload] of payloads) {
      if (payload.inline !== null && payload.inline.length > size)
        [largest, size] = [index, payload.inline.length];
    }
    return largest;
  }

  /** The fence's check op first, so its failure is the one the multi reports. */
  private withFence(ops: readonly ZkOp[], fence: string | undefined): ZkOp[] {
    return fence === undefined ? [...ops] : [{ op: 'check', path: fence, version: -1 }, ...ops];
  }

  private currentFence(keys: readonly string[]): string | undefined {
    if (this.fence === undefined) return undefined;
    const fence = this.fence();
    if (fence === undefined) throw new FencedError(undefined, keys);
    return fence;
  }

  /**
   * Writes the chunks, then commits. True when committed; false when something changed
   * since the read or a parent was missing (plan again). Throws `FencedError`, or what the
   * session threw.
   */
  private async execute(
    plan: Transaction,
    chunks: readonly ChunkWrite[],
    keys: readonly string[],
  ): Promise<boolean> {
    const fence = this.currentFence(keys);
    const ops = this.withFence(plan.ops, fence);
    const chunkPathsWritten = chunks.map((chunk) => chunk.path);
    try {
      await writeChunks(this.session, chunks);
      await this.session.multi(ops);
      return true;
    } catch (error) {
      if (hasCode(error, ZK_CODES.CONNECTION_LOSS) && !neverSent(error))
        throw this.outcomeUnknown(keys, error);
      // The multi certainly did not commit: its chunks are garbage now.
      await removeQuietly(this.session, chunkPathsWritten);
      if (fence !== undefined && error instanceof ZkError && error.opIndex === 0) {
        throw new FencedError(fence, keys);
      }
      if (!CHANGED_SINCE_READ.some((code) => hasCode(error, code))) throw error;
      await this.createMissingParent(ops, error);
      return false;
    }
  }

  /** After a multi failed: if a create found no parent, make its ancestors for the next attempt. */
  private async createMissingParent(ops: readonly ZkOp[], error: unknown): Promise<void> {
    if (!(error instanceof ZkError) || error.code !== ZK_CODES.NO_NODE || error.opIndex === undefined) return;
    const failed = ops[error.opIndex];
    if (failed?.op === 'create') await this.session.mkdirp(parentPath(failed.path));
  }

  /** The request was sent and the connection lost before the answer: it may have committed. */
  private outcomeUnknown(keys: readonly string[], cause: unknown): Error {
    return new BorealisError(
      'STATE_UNKNOWN_OUTCOME',
      `zookeeper state store: connection lost while writing ${keys.join(', ')}; the write may or may not have been applied (${describe(cause)})`,
      { cause, hint: 'read the keys again before deciding what to do' },
    );
  }

  /** After a commit, best effort: prune emptied prefixes and sweep unreferenced chunks. */
  private async tidy(plan: Transaction): Promise<void> {
    try {
      await Promise.all(plan.removed.map((path) => this.pruneAbove(path)));
      for (const key of plan.chunkedKeys) {
        const current = await this.readNode(key);
        const keep = current.value?.chunks?.id ?? null;
        await sweepChunks(this.session, this.root, key, keep, this.orphanGraceMs);
      }
    } catch {
      // Left for the next write to tidy: the commit itself succeeded.
    }
  }

  /** Removes bare, childless ancestors of a removed znode, up to (not including) the root. */
  private async pruneAbove(removed: string): Promise<void> {
    for (
      let path = parentPath(removed);
      path.length > this.root.length && path !== '/';
      path = parentPath(path)
    ) {
      const stat = await this.session.exists(path);
      if (stat === null || stat.dataLength > 0 || stat.numChildren > 0) return;
      try {
        // Versioned: a znode that became a key meanwhile stays.
        await this.session.remove(path, stat.version);
      } catch {
        return;
      }
    }
  }
}
