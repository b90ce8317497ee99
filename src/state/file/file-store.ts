/**
 * `StateStore` on a local directory, for one machine (several reconcilers may share it).
 *
 * Layout: key `jobs/web` is the file `<dir>/jobs/web.json` holding
 * `{"version": N, "value": ...}`, pretty-printed so operators can `cat` it (`layout.ts`).
 * The store's own files carry `@` in their names, which no key can contain: `@locks/`,
 * `@journal.json` and temp files `@<pid>.<n>.tmp`.
 *
 * Writes: temp file in the same directory, fsync, rename over the record, fsync the
 * directory (`util/durable-file.ts`). Readers take no lock and see a whole old or new record.
 *
 * Conditional writes: every write (conditional or not, so versions never skip or repeat)
 * runs read-check-write under a per-directory lock held across processes (`lock.ts`: one
 * file per owner named by pid, process start time and boot id, so a dead owner's lock can be
 * removed without racing a new owner). Inside one process a queue serialises the store's own
 * operations first, so processes, not promises, contend for the file lock. The critical
 * section reads the touched records, checks, and writes; nothing else.
 *
 * Transactions: conditions are all checked before anything is written; several writes go
 * through an intent journal (`journal.ts`) that whoever takes the lock next replays, so a
 * crash leaves all or none of them. A read that finds a journal takes the lock first, so a
 * crashed transaction is completed even when only readers are left, and a reader arriving
 * while a live transaction is being applied waits for it.
 *
 * Semantics: every put bumps the version by one, also when the value is unchanged (the
 * version counts writes, so a stale writer can never match by accident). Deleting a key and
 * creating it again starts at version 0, as in ZooKeeper. A corrupt record fails every read
 * and write of its key with `StateCorruptError`: rewriting it would restart its versions
 * under a writer that expected the old ones, so an operator removes the file instead.
 *
 * Limits: a local, case-sensitive POSIX filesystem and one PID namespace (liveness of lock
 * owners is judged by pid); not NFS. Key segments must fit a file name (≤ 250 bytes).
 */
import { access, mkdir } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { assertValidKey, type StateOperation, type StateStore, type Versioned } from '../types.js';
import { isMissing, readTextIfExists, readTextIfExistsSync } from '../../util/durable-file.js';
import { commitWrites, recoverJournal } from './journal.js';
import { directoryPath, journalPath, keySegments, locksPath, recordPath } from './layout.js';
import { listChildren } from './list.js';
import { DirectoryLock } from './lock.js';
import { writesFor, type ReadRecord, type Write } from './writes.js';
import { decodeRecord } from './record.js';
import { moveAside } from './set-aside.js';

export interface FileStateStoreOptions {
  /** How long a write waits for another process's lock before failing; default 30 s. */
  lockTimeoutMs?: number;
}

const DEFAULT_LOCK_TIMEOUT_MS = 30_000;
/** Records `getMany` reads between two turns of the event loop: a few milliseconds of work. */
const READ_SLICE = 200;

/** Reads one record without locking (renames make every file whole); shared with tests' child processes. */
export async function readRecordFile<T>(root: string, key: string): Promise<Versioned<T> | null> {
  const path = recordPath(root, key);
  const text = await readTextIfExists(path);
  return text === null ? null : decodeRecord<T>(key, path, text);
}

function readRecordFileSync<T>(root: string, key: string): Versioned<T> | null {
  const path = recordPath(root, key);
  const text = readTextIfExistsSync(path);
  return text === null ? null : decodeRecord<T>(key, path, text);
}

/** Reads records synchronously, yielding to the event loop after each slice (see `getMany`). */
function slicedReader(root: string): ReadRecord {
  let reads = 0;
  return async (key) => {
    if (++reads % READ_SLICE === 0) await new Promise((resolve) => setImmediate(resolve));
    return readRecordFileSync(root, key);
  };
}

export class FileStateStore implements StateStore {
  readonly kind = 'file';
  /** Absolute path of the state directory. */
  readonly directory: string;
  private readonly lock: DirectoryLock;
  /** Serialises this instance's locked sections; never rejects. */
  private queue: Promise<unknown> = Promise.resolve();
  private initialised: Promise<void> | undefined;
  private closed = false;

  /** Creates the directory if needed and completes any transaction a crash left behind. */
  static async open(directory: string, options: FileStateStoreOptions = {}): Promise<FileStateStore> {
    const store = new FileStateStore(directory, options);
    await store.ready();
    return store;
  }

  /** Prefer `open`; a constructed store initialises itself on first use. */
  constructor(directory: string, options: FileStateStoreOptions = {}) {
    this.directory = resolve(directory);
    this.lock = new DirectoryLock(
      locksPath(this.directory),
      options.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS,
    );
  }

  async get<T = unknown>(key: string): Promise<Versioned<T> | null> {
    assertValidKey(key);
    await this.settle();
    return readRecordFile<T>(this.directory, key);
  }

  /**
   * Synchronous reads in slices, yielding between them: a small file read synchronously
   * costs far less than an asynchronous one (four trips to the thread pool: open, stat,
   * read, close), and a slice keeps the event loop from stalling more than a few milliseconds.
   */
  async getMany<T = unknown>(keys: readonly string[]): Promise<(Versioned<T> | null)[]> {
    for (const key of keys) assertValidKey(key);
    await this.settle();
    const found: (Versioned<T> | null)[] = [];
    for (let at = 0; at < keys.length; at += READ_SLICE) {
      if (at > 0) await new Promise((resolve) => setImmediate(resolve));
      for (const key of keys.slice(at, at + READ_SLICE))
        found.push(readRecordFileSync<T>(this.directory, key));
    }
    return found;
  }

  async put(key: string, value: unknown, expectedVersion?: number | null): Promise<number> {
    const [write] = await this.commit([{ op: 'put', key, value, expectedVersion }]);
    if (write?.record == null) throw new Error(`file state store: put of ${key} planned no record`);
    return write.record.version;
  }

  async delete(key: string, expectedVersion?: number): Promise<void> {
    await this.commit([{ op: 'delete', key, expectedVersion }]);
  }

  /** `''` lists the top level. */
  async list(prefix: string): Promise<string[]> {
    if (prefix !== '') assertValidKey(prefix);
    await this.settle();
    return listChildren(directoryPath(this.directory, prefix === '' ? [] : keySegments(prefix)));
  }

  async transaction(operations: StateOperation[]): Promise<void> {
    await this.commit(operations);
  }

  locate(key: string): string {
    return recordPath(this.directory, key);
  }

  async setAside(key: string, into: string): Promise<string | null> {
    assertValidKey(key);
    await this.ready();
    const path = recordPath(this.directory, key);
    const target = join(into, relative(this.directory, path));
    return this.exclusive(async () => ((await moveAside(path, target)) ? target : null));
  }

  /**
   * Moves an unreadable transaction journal out of `directory` into `into`: every use of the
   * store, opening it too, fails while it is there. The transaction it held is lost (some of
   * its writes may have been applied); `borealis state repair` rebuilds what it can.
   */
  static async setAsideJournal(
    directory: string,
    into: string,
    options: FileStateStoreOptions = {},
  ): Promise<string | null> {
    const root = resolve(directory);
    await mkdir(locksPath(root), { recursive: true });
    const lock = new DirectoryLock(locksPath(root), options.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS);
    const release = await lock.acquire();
    try {
      const target = join(into, relative(root, journalPath(root)));
      return (await moveAside(journalPath(root), target)) ? target : null;
    } finally {
      await release();
    }
  }

  /** Waits for operations in flight; later calls fail. */
  async close(): Promise<void> {
    this.closed = true;
    await this.queue;
  }

  private async commit(operations: readonly StateOperation[]): Promise<Write[]> {
    for (const operation of operations) assertValidKey(operation.key);
    await this.ready();
    return this.exclusive(async () => {
      const writes = await writesFor(operations, slicedReader(this.directory));
      await commitWrites(this.directory, writes);
      return writes;
    });
  }

  private ready(): Promise<void> {
    if (this.closed) return Promise.reject(new Error(`file state store ${this.directory} is closed`));
    // A failed start (say, a corrupt journal) is retried on the next call, not remembered.
    this.initialised ??= this.initialise().catch((error: unknown) => {
      this.initialised = undefined;
      throw error;
    });
    return this.initialised;
  }

  private async initialise(): Promise<void> {
    await mkdir(locksPath(this.directory), { recursive: true });
    await this.exclusive(() => Promise.resolve());
  }

  /** Before a read: if a transaction is in its journal, let it finish (or recover it) first. */
  private async settle(): Promise<void> {
    await this.ready();
    if (await this.journalExists()) await this.exclusive(() => Promise.resolve());
  }

  private async journalExists(): Promise<boolean> {
    try {
      await access(journalPath(this.directory));
      return true;
    } catch (error) {
      if (isMissing(error)) return false;
      throw error;
    }
  }

  /** Runs `work` alone: after this instance's earlier sections, holding the directory lock. */
  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = async (): Promise<T> => {
      const release = await this.lock.acquire();
      try {
        await recoverJournal(this.directory);
        return await work();
      } finally {
        await release();
      }
    };
    const result = this.queue.then(run);
    this.queue = result.catch(() => undefined);
    return result;
  }
}
