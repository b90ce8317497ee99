/**
 * The intent journal that makes a multi-key transaction all-or-nothing across crashes.
 *
 * Under the lock, the complete list of resulting records is written durably to
 * `@journal.json` (the commit point), then each record is written, then the journal is
 * removed. Whoever takes the lock next (any process, or `open` after a restart) finds a
 * journal left by a crashed writer and applies it again. Writes hold whole records with
 * their final versions, so applying twice is the same as applying once. A crash before the
 * journal's rename leaves none of the transaction visible; after it, all of it.
 */
import { dirname } from 'node:path';
import { assertValidKey, StateCorruptError } from '../types.js';
import {
  ensureDirectory,
  pruneEmptyDirectories,
  readTextIfExists,
  removeFile,
  removeFileDurably,
  replaceFile,
  syncDirectory,
  writeFileDurably,
} from '../../util/durable-file.js';
import { journalPath, recordPath } from './layout.js';
import type { Write } from './writes.js';
import { encodeRecord, isVersioned } from './record.js';

const JOURNAL_FORMAT = 1;

/** `{"journal": 1, "writes": [{"key": "a", "record": {"version": 3, "value": ...}}, {"key": "b", "record": null}]}` */
export function journalText(writes: readonly Write[]): string {
  return `${JSON.stringify({ journal: JOURNAL_FORMAT, writes })}\n`;
}

function isValidKey(key: unknown): key is string {
  if (typeof key !== 'string') return false;
  try {
    assertValidKey(key);
    return true;
  } catch {
    return false;
  }
}

/** Keys are checked too: a hand-edited journal must not write outside the store. */
function isWrite(data: unknown): data is Write {
  if (typeof data !== 'object' || data === null) return false;
  const { key, record } = data as Partial<Write>;
  return isValidKey(key) && (record === null || isVersioned(record));
}

function parseJournal(path: string, text: string): Write[] {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new StateCorruptError('(journal)', path, error);
  }
  const { journal, writes } = (data ?? {}) as { journal?: unknown; writes?: unknown };
  if (journal !== JOURNAL_FORMAT || !Array.isArray(writes) || !writes.every(isWrite)) {
    throw new StateCorruptError('(journal)', path, new Error(`expected journal format ${JOURNAL_FORMAT}`));
  }
  return writes;
}

export async function readJournal(root: string): Promise<Write[] | null> {
  const path = journalPath(root);
  const text = await readTextIfExists(path);
  return text === null ? null : parseJournal(path, text);
}

export async function writeJournal(root: string, writes: readonly Write[]): Promise<void> {
  await writeFileDurably(journalPath(root), journalText(writes));
}

export async function clearJournal(root: string): Promise<void> {
  await removeFileDurably(journalPath(root));
}

/** Writes or deletes one record durably; the caller holds the lock. */
export async function applyWrite(root: string, write: Write): Promise<void> {
  await applyWrites(root, [write]);
}

/** Record files written at once: enough to keep the disk's queue full, few enough for the thread pool. */
const PARALLEL_WRITES = 16;

/**
 * Writes and deletes records, then fsyncs each directory touched once. Order among them
 * does not matter: several writes are made under a journal that replays them all after a
 * crash, and the journal is cleared only after this returns.
 */
export async function applyWrites(root: string, writes: readonly Write[]): Promise<void> {
  const touched = new Set<string>();
  for (const write of writes) touched.add(dirname(recordPath(root, write.key)));
  for (const directory of touched) await ensureDirectory(root, directory);
  const emptied = new Set<string>();
  let next = 0;
  const worker = async () => {
    while (next < writes.length) {
      const write = writes[next++]!;
      const path = recordPath(root, write.key);
      if (write.record !== null) await replaceFile(path, encodeRecord(write.record));
      else if (await removeFile(path)) emptied.add(dirname(path));
    }
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL_WRITES, writes.length) }, worker));
  for (const directory of touched) await syncDirectory(directory);
  for (const directory of emptied) await pruneEmptyDirectories(root, directory);
}

/** Applies writes so that a crash at any point leaves all or none of them after recovery. */
export async function commitWrites(root: string, writes: readonly Write[]): Promise<void> {
  // One write is atomic by itself (rename); only several need the journal.
  const journaled = writes.length > 1;
  if (journaled) await writeJournal(root, writes);
  await applyWrites(root, writes);
  if (journaled) await clearJournal(root);
}

/** Finishes a transaction a crashed process left behind, if any. The caller holds the lock. */
export async function recoverJournal(root: string): Promise<boolean> {
  const writes = await readJournal(root);
  if (writes === null) return false;
  await applyWrites(root, writes);
  await clearJournal(root);
  return true;
}
