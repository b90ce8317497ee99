/**
 * A child process for `file-store.test.ts`: real OS processes sharing one state directory.
 *
 *   increment <dir> <count>  adds 1 to `counter` <count> times (conditional put, retry on conflict)
 *   hold-lock <dir>          takes the directory lock, prints `locked`, releases when stdin ends
 *   crash <dir> <stage>      runs CRASH_OPERATIONS the way the store commits a transaction but
 *                            stops at <stage>, prints `stopped` and waits to be killed
 *
 * It runs only with BOREALIS_STATE_CHILD=1: `node --test dist/test/` loads every file under a
 * `test/` directory as a test file, and then this one must do nothing.
 */
import { once } from 'node:events';
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { temporaryPath } from '../../src/util/durable-file.js';
import { FileStateStore, readRecordFile } from '../../src/state/file/file-store.js';
import { applyWrite, journalText, writeJournal } from '../../src/state/file/journal.js';
import { locksPath } from '../../src/state/file/layout.js';
import { DirectoryLock } from '../../src/state/file/lock.js';
import { writesFor } from '../../src/state/file/writes.js';
import { StateConflictError, type StateOperation } from '../../src/state/types.js';

/** Four writes: two updates, a delete and a create. The test seeds `a`, `b` and `c` at version 0. */
export const CRASH_OPERATIONS: StateOperation[] = [
  { op: 'put', key: 'a', value: 'a1', expectedVersion: 0 },
  { op: 'put', key: 'nested/b', value: { b: 1 } },
  { op: 'delete', key: 'c', expectedVersion: 0 },
  { op: 'put', key: 'nested/deeper/d', value: 'd0', expectedVersion: null },
];

/** Stops before the journal is renamed into place: its content sits in a temp file. */
export const BEFORE_JOURNAL = -1;

async function increment(dir: string, count: number): Promise<void> {
  const store = await FileStateStore.open(dir);
  let conflicts = 0;
  for (let done = 0; done < count;) {
    const current = await store.get<number>('counter');
    try {
      await store.put('counter', (current?.value ?? 0) + 1, current?.version ?? null);
      done += 1;
    } catch (error) {
      if (!(error instanceof StateConflictError)) throw error;
      conflicts += 1;
    }
  }
  await store.close();
  process.stdout.write(`done ${conflicts}\n`);
}

async function holdLock(dir: string): Promise<void> {
  const release = await new DirectoryLock(locksPath(dir), 10_000).acquire();
  process.stdout.write('locked\n');
  process.stdin.resume();
  await once(process.stdin, 'end');
  await release();
}

async function crash(dir: string, stage: number): Promise<void> {
  // Never released: the kill leaves the lock behind, as a real crash would.
  await new DirectoryLock(locksPath(dir), 10_000).acquire();
  const writes = await writesFor(CRASH_OPERATIONS, (key) => readRecordFile(dir, key));
  if (stage === BEFORE_JOURNAL) {
    await writeFile(temporaryPath(dir), journalText(writes));
  } else {
    await writeJournal(dir, writes);
    for (const write of writes.slice(0, stage)) await applyWrite(dir, write);
  }
  process.stdout.write('stopped\n');
  // Stay alive until the test kills us.
  setInterval(() => undefined, 60_000);
}

async function main(mode: string | undefined, dir: string, count: number): Promise<void> {
  if (mode === 'increment') return increment(dir, count);
  if (mode === 'hold-lock') return holdLock(dir);
  if (mode === 'crash') return crash(dir, count);
  throw new Error(`unknown mode ${mode}`);
}

if (process.env.BOREALIS_STATE_CHILD === '1') {
  const [mode, dir = '.', count = '0'] = process.argv.slice(2);
  await main(mode, resolve(dir), Number(count));
}
