/**
 * The reference `StateStore`: records in a map, in this process only. It passes the same
 * contract as the file and ZooKeeper stores, so tests whose subject is not storage (the
 * executor, the daemon) run on it without a directory or a server. Values are kept as JSON
 * text, so a caller can no more change a stored value through its own objects than it
 * could on disk.
 *
 * Several stores may share one `MemoryRecords`, as several processes share a state
 * directory: a store opened again after `close` sees what the first one wrote.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import {
  assertValidKey,
  StateConflictError,
  type StateOperation,
  type StateStore,
  type Versioned,
} from '../types.js';

interface StoredRecord {
  json: string;
  version: number;
}

/** The records themselves, which outlive any one store object. */
export type MemoryRecords = Map<string, StoredRecord>;

export class MemoryStateStore implements StateStore {
  readonly kind = 'memory';
  private closed = false;

  constructor(readonly records: MemoryRecords = new Map()) {}

  get<T = unknown>(key: string): Promise<Versioned<T> | null> {
    return this.run(() => this.read<T>(key));
  }

  getMany<T = unknown>(keys: readonly string[]): Promise<(Versioned<T> | null)[]> {
    return this.run(() => keys.map((key) => this.read<T>(key)));
  }

  put(key: string, value: unknown, expectedVersion?: number | null): Promise<number> {
    return this.run(() => {
      this.apply([{ op: 'put', key, value, expectedVersion }]);
      return this.records.get(key)!.version;
    });
  }

  delete(key: string, expectedVersion?: number): Promise<void> {
    return this.run(() => this.apply([{ op: 'delete', key, expectedVersion }]));
  }

  list(prefix: string): Promise<string[]> {
    return this.run(() => {
      if (prefix !== '') assertValidKey(prefix);
      const start = prefix === '' ? '' : `${prefix}/`;
      const children = new Set<string>();
      for (const key of this.records.keys())
        if (key.startsWith(start)) children.add(key.slice(start.length).split('/')[0]!);
      return [...children].sort();
    });
  }

  transaction(operations: StateOperation[]): Promise<void> {
    return this.run(() => this.apply(operations));
  }

  locate(key: string): string {
    return `memory:${key}`;
  }

  /** Writes the record as stored to `<into>/<key>.json`; the key then reads as missing. */
  async setAside(key: string, into: string): Promise<string | null> {
    const record = await this.run(() => {
      assertValidKey(key);
      const found = this.records.get(key);
      this.records.delete(key);
      return found;
    });
    if (record === undefined) return null;
    const target = `${join(into, ...key.split('/'))}.json`;
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, record.json);
    return target;
  }

  /** Later calls fail; the records stay for a store opened on them again. */
  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }

  /** Each operation runs whole in one microtask, which is what makes it atomic. */
  private run<T>(operation: () => T): Promise<T> {
    return Promise.resolve().then(() => {
      if (this.closed) throw new Error('the memory state store is closed');
      return operation();
    });
  }

  private read<T>(key: string): Versioned<T> | null {
    assertValidKey(key);
    const record = this.records.get(key);
    return record === undefined ? null : { value: JSON.parse(record.json) as T, version: record.version };
  }

  /** Checks and serialises every operation on top of the ones before it, then writes them all. */
  private apply(operations: readonly StateOperation[]): void {
    for (const operation of operations) assertValidKey(operation.key);
    const changes = new Map<string, StoredRecord | undefined>();
    const current = (key: string) => (changes.has(key) ? changes.get(key) : this.records.get(key));
    for (const operation of operations) {
      const version = current(operation.key)?.version ?? null;
      const expected = operation.expectedVersion;
      if (expected !== undefined && version !== expected)
        throw new StateConflictError(operation.key, expected, version);
      if (operation.op === 'put') {
        const json = serialise(operation.key, operation.value);
        changes.set(operation.key, { json, version: version === null ? 0 : version + 1 });
      } else if (operation.op === 'delete') changes.set(operation.key, undefined);
    }
    for (const [key, record] of changes) {
      if (record === undefined) this.records.delete(key);
      else this.records.set(key, record);
    }
  }
}

function serialise(key: string, value: unknown): string {
  const json = JSON.stringify(value) as string | undefined;
  if (json === undefined) throw new TypeError(`state value for ${key} is not JSON (${typeof value})`);
  return json;
}
