/**
 * Turning `StateOperation`s into one ZooKeeper multi, from what was just read of every
 * key touched. Pure: the store reads, plans, writes chunks, then commits.
 *
 * Conditions are checked here, on the read (a failed one is a `StateConflictError`). Every
 * key touched is then pinned in the multi to the very znode state that was read: writes
 * carry its data version, keys only checked get a `check` op, and a key whose znode did
 * not exist gets a create (a put) or a create-and-remove (a guard: ZooKeeper has no "check
 * absent"). So if anything changed between the read and the multi, the multi fails as a
 * whole and the store reads and plans again; conflicts are decided only on a fresh read.
 *
 * Operations apply in order, each seeing the earlier ones' effects, as in a ZooKeeper multi:
 * the plan simulates every key's znode through the sequence.
 */
import type { ZkOp } from '../../zookeeper/session.js';
import { StateConflictError, type StateOperation } from '../types.js';
import { encodeValue, type Manifest, type StoredValue } from './node-data.js';
import { parentKey } from './paths.js';

/** What was read of one key's znode. */
export interface KeyNode {
  path: string;
  /** The znode's data version; -1 when the znode does not exist. */
  zkVersion: number;
  /** The key's value, or null when the znode is missing or bare (a prefix only). */
  value: StoredValue | null;
  numChildren: number;
}

/** How a put's value is stored: inline, or in chunks already written at `chunkPaths`. */
export interface Payload {
  inline: Buffer | null;
  chunks: Manifest | null;
  chunkPaths: string[];
}

export interface Transaction {
  ops: ZkOp[];
  /** The version each put produces, by operation index. */
  versions: Map<number, number>;
  /** False when the plan only pins what was read (nothing to write). */
  writes: boolean;
  /** Key znodes the multi removes (their emptied ancestors may be pruned afterwards). */
  removed: string[];
  /** Keys whose chunks the multi adds or drops (their chunk directories may be swept afterwards). */
  chunkedKeys: Set<string>;
}

/** One key's znode as the multi will have left it so far. */
interface Simulated {
  path: string;
  zkVersion: number;
  value: StoredValue | null;
  chunkPaths: string[];
  numChildren: number;
  pinned: boolean;
}

type ChunkPathsOf = (key: string, manifest: Manifest) => string[];

function versionOf(node: Simulated): number | null {
  return node.value === null ? null : node.zkVersion - node.value.base;
}

function checkCondition(key: string, expected: number | null | undefined, node: Simulated): void {
  const actual = versionOf(node);
  if (expected !== undefined && expected !== actual) throw new StateConflictError(key, expected, actual);
}

class Planner {
  readonly plan: Transaction = {
    ops: [],
    versions: new Map(),
    writes: false,
    removed: [],
    chunkedKeys: new Set(),
  };
  private readonly nodes = new Map<string, Simulated>();
  /** Keys above another key of this transaction: their znodes stay, since that key may need them. */
  private readonly ancestors = new Set<string>();

  constructor(read: ReadonlyMap<string, KeyNode>, chunkPathsOf: ChunkPathsOf) {
    for (const key of read.keys()) {
      for (let above = parentKey(key); above !== undefined; above = parentKey(above))
        this.ancestors.add(above);
    }
    for (const [key, node] of read) {
      const chunkPaths = node.value?.chunks ? chunkPathsOf(key, node.value.chunks) : [];
      this.nodes.set(key, { ...node, chunkPaths, pinned: false });
    }
  }

  apply(operation: StateOperation, index: number, payload: Payload | undefined): void {
    const node = this.node(operation.key);
    checkCondition(operation.key, operation.expectedVersion, node);
    if (operation.op === 'put') {
      if (payload === undefined)
        throw new Error(`zookeeper state store: no payload for put of ${operation.key}`);
      this.put(operation.key, node, payload);
      this.plan.versions.set(index, versionOf(node) ?? 0);
    } else if (operation.op === 'delete' && node.value !== null) this.remove(operation.key, node);
    else this.pin(node);
  }

  private node(key: string): Simulated {
    const node = this.nodes.get(key);
    if (node === undefined) throw new Error(`zookeeper state store: ${key} was not read before planning`);
    return node;
  }

  private put(key: string, node: Simulated, payload: Payload): void {
    this.dropChunks(key, node);
    if (node.zkVersion < 0) {
      node.value = { base: 0, inline: payload.inline, chunks: payload.chunks };
      this.push({ op: 'create', path: node.path, data: encodeValue(node.value) });
      node.zkVersion = 0;
      this.countChild(key, +1);
    } else {
      // Written onto a bare znode, the key starts at version 0 all the same.
      const base = node.value?.base ?? node.zkVersion + 1;
      node.value = { base, inline: payload.inline, chunks: payload.chunks };
      this.push({ op: 'set', path: node.path, data: encodeValue(node.value), version: node.zkVersion });
      node.zkVersion += 1;
    }
    for (const path of payload.chunkPaths) this.push({ op: 'check', path, version: 0 });
    if (payload.chunks !== null) this.plan.chunkedKeys.add(key);
    node.chunkPaths = payload.chunkPaths;
    node.pinned = true;
  }

  private remove(key: string, node: Simulated): void {
    this.dropChunks(key, node);
    if (node.numChildren === 0 && !this.ancestors.has(key)) {
      this.push({ op: 'remove', path: node.path, version: node.zkVersion });
      this.plan.removed.push(node.path);
      node.zkVersion = -1;
      this.countChild(key, -1);
    } else {
      // Sub-keys live (or may be written) below: the znode stays, bare.
      this.push({ op: 'set', path: node.path, data: Buffer.alloc(0), version: node.zkVersion });
      node.zkVersion += 1;
    }
    node.value = null;
    node.pinned = true;
  }

  /** Fails the multi unless the znode is still as read. */
  private pin(node: Simulated): void {
    if (node.pinned) return;
    if (node.zkVersion >= 0) {
      this.plan.ops.push({ op: 'check', path: node.path, version: node.zkVersion });
    } else {
      this.plan.ops.push({ op: 'create', path: node.path }, { op: 'remove', path: node.path, version: 0 });
    }
    node.pinned = true;
  }

  private dropChunks(key: string, node: Simulated): void {
    for (const path of node.chunkPaths) this.push({ op: 'remove', path, version: 0 });
    if (node.chunkPaths.length > 0) this.plan.chunkedKeys.add(key);
    node.chunkPaths = [];
  }

  /** A znode can only be removed without children: count those this multi adds or removes. */
  private countChild(key: string, delta: number): void {
    const parent = parentKey(key);
    const node = parent === undefined ? undefined : this.nodes.get(parent);
    if (node !== undefined) node.numChildren += delta;
  }

  private push(op: ZkOp): void {
    this.plan.ops.push(op);
    this.plan.writes = true;
  }
}

/**
 * The multi for `operations`, given the read of every key they touch and the payload of
 * every put (by operation index). Throws `StateConflictError` when a condition fails.
 */
export function buildTransaction(
  operations: readonly StateOperation[],
  read: ReadonlyMap<string, KeyNode>,
  payloads: ReadonlyMap<number, Payload>,
  chunkPathsOf: ChunkPathsOf,
): Transaction {
  const planner = new Planner(read, chunkPathsOf);
  operations.forEach((operation, index) => planner.apply(operation, index, payloads.get(index)));
  return planner.plan;
}

/** Roughly what the multi weighs on the wire: ZooKeeper refuses a request above jute.maxbuffer. */
export function requestBytes(ops: readonly ZkOp[]): number {
  const perOp = 64; // header, version, flags, ACL
  return ops.reduce(
    (sum, op) => sum + perOp + Buffer.byteLength(op.path) + ('data' in op && op.data ? op.data.length : 0),
    64,
  );
}
