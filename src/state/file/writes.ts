/**
 * Turning operations into the writes they cause, checking every condition first. Operations
 * apply in order and each sees the effect of the earlier ones (as in a ZooKeeper `multi`):
 * `put a` then `check a` expects the version the put produces. Any failed condition throws
 * before anything is written.
 */
import { StateConflictError, type StateOperation, type Versioned } from '../types.js';
import { assertJsonValue } from './record.js';

/** A resulting write: the full record to store, or `null` to delete the key. */
export interface Write {
  key: string;
  record: Versioned | null;
}

export type ReadRecord = (key: string) => Promise<Versioned | null>;

function checkCondition(key: string, expected: number | null | undefined, current: Versioned | null): void {
  const actual = current?.version ?? null;
  if (expected !== undefined && expected !== actual) throw new StateConflictError(key, expected, actual);
}

function nextRecord(operation: StateOperation, current: Versioned | null): Versioned | null {
  switch (operation.op) {
    case 'put':
      // The first write is version 0; a key deleted and created again starts over at 0.
      return { version: current === null ? 0 : current.version + 1, value: operation.value };
    case 'delete':
      return null;
    case 'check':
      return current;
  }
}

/** The writes, one per key touched, in the order keys were first written. */
export async function writesFor(operations: readonly StateOperation[], read: ReadRecord): Promise<Write[]> {
  const state = new Map<string, Versioned | null>();
  const written = new Set<string>();
  for (const operation of operations) {
    const { key } = operation;
    if (operation.op === 'put') assertJsonValue(key, operation.value);
    const current = state.has(key) ? (state.get(key) ?? null) : await read(key);
    checkCondition(key, operation.expectedVersion, current);
    state.set(key, nextRecord(operation, current));
    if (operation.op !== 'check') written.add(key);
  }
  return [...written].map((key) => ({ key, record: state.get(key) ?? null }));
}
