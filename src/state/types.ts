/**
 * The `StateStore` port: a small versioned key/value store of JSON documents. Every
 * backend (a directory, ZooKeeper) implements exactly this, and one contract test suite
 * runs against each. The typed records Borealis keeps (applied commit, job records,
 * deployment log, update progress) are built on top of it in `records.ts`, so backends
 * never know what they store.
 *
 * Keys are `/`-separated paths of segments matching `[A-Za-z0-9._~%-]+` (callers encode
 * free-form parts such as job ids with `encodeKeySegment`).
 */
import { BorealisError } from '../errors.js';

export interface Versioned<T = unknown> {
  /** Any JSON value. */
  value: T;
  /** Increases by one with every write of the key; the first write (also after a delete) creates version 0. */
  version: number;
}

/**
 * `expectedVersion` on writes makes them conditional: a number means "only if the key is
 * at this version", `null` means "only if the key does not exist", undefined means
 * unconditional. A failed condition throws `StateConflictError` and writes nothing.
 */
export interface StateStore {
  /** Backend name for messages, e.g. `file` or `zookeeper`. */
  readonly kind: string;
  get<T = unknown>(key: string): Promise<Versioned<T> | null>;
  /**
   * Several keys, answered in their order (null for a missing one): each as `get` reads it,
   * not one snapshot of them all. Reading every job record one `get` at a time costs a
   * round trip (or a file-system call) each for what can be pipelined.
   */
  getMany<T = unknown>(keys: readonly string[]): Promise<(Versioned<T> | null)[]>;
  /** Writes atomically and durably; returns the new version. */
  put(key: string, value: unknown, expectedVersion?: number | null): Promise<number>;
  /** Deletes the key (a missing key is not an error unless a version is expected). */
  delete(key: string, expectedVersion?: number): Promise<void>;
  /** Direct children names under a prefix (`jobs` → the segments after `jobs/`; '' → the top level), in plain string order. */
  list(prefix: string): Promise<string[]>;
  /**
   * Several writes that all happen or none do, even across a crash; each may carry a
   * condition, and each operation sees the effects of the earlier ones (as a ZooKeeper
   * multi does). Used for moves such as "record the deployment and the applied commit
   * together".
   */
  transaction(operations: StateOperation[]): Promise<void>;
  /** Where a key's record is kept, for messages: a file, or a znode. */
  locate(key: string): string;
  /**
   * Moves a key's record out of the store, whatever it holds (the point is a record that
   * cannot be read), into a file under the local directory `into`; the key then reads as
   * missing, and a write creates it again at version 0. Returns the file written, or null
   * when the key had no record. For `borealis state repair`, with no reconciler running.
   */
  setAside(key: string, into: string): Promise<string | null>;
  close(): Promise<void>;
}

export type StateOperation =
  | { op: 'put'; key: string; value: unknown; expectedVersion?: number | null }
  | { op: 'delete'; key: string; expectedVersion?: number }
  | { op: 'check'; key: string; expectedVersion: number | null };

export class StateConflictError extends BorealisError {
  constructor(
    readonly key: string,
    readonly expected: number | null,
    readonly actual: number | null,
  ) {
    super(
      'STATE_CONFLICT',
      `state conflict on ${key}: expected ${expected === null ? 'no record' : `version ${expected}`}, found ${actual === null ? 'no record' : `version ${actual}`}`,
      { hint: 'another process wrote the same state record at the same time; run the command again' },
    );
    this.name = 'StateConflictError';
  }
}

export const CORRUPT_HINT =
  "stop any 'borealis watch' on this state and run 'borealis state repair': it moves unreadable records aside into <state>/corrupt/ and rebuilds them from Git and the cluster";

/** A corrupt or unreadable record: named with its key and location so an operator can act. */
export class StateCorruptError extends BorealisError {
  constructor(
    readonly key: string,
    readonly location: string,
    cause: unknown,
  ) {
    super(
      'STATE_CORRUPT',
      `state record ${key} at ${location} is unreadable: ${cause instanceof Error ? cause.message : String(cause)}`,
      { cause, hint: CORRUPT_HINT },
    );
    this.name = 'StateCorruptError';
  }
}

const SEGMENT = /^[A-Za-z0-9._~%-]+$/;

/** encodeURIComponent leaves `!'()*` alone, and they are not valid in a key segment. */
export function encodeKeySegment(text: string): string {
  return encodeURIComponent(text).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

export function decodeKeySegment(segment: string): string {
  return decodeURIComponent(segment);
}

/** Throws on keys that are not `/`-separated valid segments (no `..`, no empty parts). */
export function assertValidKey(key: string): void {
  const segments = key.split('/');
  if (segments.some((segment) => !SEGMENT.test(segment) || segment === '.' || segment === '..')) {
    throw new Error(`invalid state key ${JSON.stringify(key)}`);
  }
}
