/**
 * The one module that writes files which must survive a crash at any instant. Every write
 * puts the content in a temp file in the target's own directory (so `rename` never crosses
 * a filesystem), fsyncs it, and renames it over the target: a reader, or a process started
 * after a crash, sees the old file or the new one, never a mix. The rename alone is enough
 * against a process crash; against a power cut the directory must be fsynced too, or the
 * rename itself may be lost.
 *
 * `writeFileDurably`, `writeFileDurablySync` and `removeFileDurably` fsync the directory.
 * They are for files whose loss after a power cut would be wrong, not merely slow:
 * - the file state store (`state/file/journal.ts`): a write is acknowledged to its caller,
 *   the journal is a transaction's commit point, and a journal whose removal were lost
 *   would be replayed over newer writes. Record files use `replaceFile` and fsync each
 *   directory once per batch, before the journal is cleared.
 * - the webhook replay journal (`server/replay-journal.ts`): the sender is answered after
 *   the write, so a lost rewrite would let a delivery be replayed.
 * - the local cluster's sandbox files (`cluster/local/*`): `task.json` so that a launched
 *   task is known after a reboot, and a final `status.json` so that a task that ended
 *   before a power cut is reported as it ended (FINISHED, FAILED, KILLED), not LOST. The
 *   supervisor's other status writes use `replaceFileSync`: a power cut ends the task too,
 *   and a status that is not final reads as LOST after it whatever it says.
 * `cli/leader-address.ts` writes and removes `watch.json` durably too, though it need not:
 * the `watch` process it announces does not survive a power cut either.
 * `replaceFile` (no directory fsync) is for caches (`jobspec/spec-cache.ts`,
 * `state/records-snapshot.ts`): a lost rename there is only a missed cache, while the file's
 * own fsync still keeps a power cut from leaving a torn file that would warn.
 */
import {
  closeSync,
  fsyncSync,
  openSync,
  readFile as readFileCallback,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { access, mkdir, open, rename, rm, rmdir } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';

let sequence = 0;

export function errorCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

export function isMissing(error: unknown): boolean {
  const code = errorCode(error);
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/** Temp names carry `@` (never a key) and the pid (so concurrent writers never share one). */
export function temporaryPath(directory: string): string {
  sequence += 1;
  return join(directory, `@${process.pid}.${sequence}.tmp`);
}

/**
 * The callback `readFile`: in Node 20 the promise one reads in small chunks, each a trip
 * to the thread pool, and is much slower for the small files a store holds.
 */
export function readTextIfExists(path: string): Promise<string | null> {
  return new Promise((resolve, reject) =>
    readFileCallback(path, 'utf8', (error, text) => {
      if (error === null) resolve(text);
      else if (isMissing(error)) resolve(null);
      else reject(error);
    }),
  );
}

/** Missing, unparsable or wrongly shaped content all read as "not there yet". */
export async function readJsonIfExists<T>(
  path: string,
  guard: (value: unknown) => value is T,
): Promise<T | undefined> {
  const text = await readTextIfExists(path);
  if (text === null) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return guard(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

export async function fileExists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch (error) {
    if (isMissing(error)) return false;
    throw error;
  }
}

export function readTextIfExistsSync(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    if (isMissing(error)) return null;
    throw error;
  }
}

/** Some platforms cannot fsync a directory; there the rename is as durable as it gets. */
function cannotSyncDirectory(error: unknown): boolean {
  return errorCode(error) === 'EINVAL' || errorCode(error) === 'EISDIR';
}

export async function syncDirectory(directory: string): Promise<void> {
  const handle = await open(directory, 'r');
  try {
    await handle.sync();
  } catch (error) {
    if (!cannotSyncDirectory(error)) throw error;
  } finally {
    await handle.close();
  }
}

function syncDirectorySync(directory: string): void {
  const fd = openSync(directory, 'r');
  try {
    fsyncSync(fd);
  } catch (error) {
    if (!cannotSyncDirectory(error)) throw error;
  } finally {
    closeSync(fd);
  }
}

export async function writeFileDurably(path: string, text: string): Promise<void> {
  await replaceFile(path, text);
  await syncDirectory(dirname(path));
}

/** For a writer whose writes must land in the order it makes them (the task supervisor). */
export function writeFileDurablySync(path: string, text: string): void {
  replaceFileSync(path, text);
  syncDirectorySync(dirname(path));
}

/** `replaceFile`, synchronously. */
export function replaceFileSync(path: string, text: string): void {
  const temporary = temporaryPath(dirname(path));
  try {
    const fd = openSync(temporary, 'wx');
    try {
      writeFileSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, path);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
}

/** Pretty-printed, so operators can read the file. */
export function jsonText(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

export function writeJsonDurably(path: string, value: unknown): Promise<void> {
  return writeFileDurably(path, jsonText(value));
}

export function writeJsonDurablySync(path: string, value: unknown): void {
  writeFileDurablySync(path, jsonText(value));
}

/**
 * Writes a whole new file in place of `path` (temp file, fsync, rename) without the
 * directory's fsync: the caller syncs each directory once after many replacements, or, for
 * a cache, not at all.
 */
export async function replaceFile(path: string, text: string): Promise<void> {
  const temporary = temporaryPath(dirname(path));
  try {
    const handle = await open(temporary, 'wx');
    try {
      await handle.writeFile(text);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}

/** Removes a file durably; a missing file is fine (replaying a journal deletes twice). */
export async function removeFileDurably(path: string): Promise<void> {
  if (await removeFile(path)) await syncDirectory(dirname(path));
}

/** Removes a file, not waiting for the directory's fsync; false when it was already gone. */
export async function removeFile(path: string): Promise<boolean> {
  try {
    await rm(path);
    return true;
  } catch (error) {
    if (isMissing(error)) return false;
    throw error;
  }
}

/** `mkdir -p` below `root` that fsyncs each parent it adds to, so new directories survive a power cut. */
export async function ensureDirectory(root: string, directory: string): Promise<void> {
  let current = root;
  for (const name of relative(root, directory).split(sep).filter(Boolean)) {
    const next = join(current, name);
    if (await makeDirectory(next)) await syncDirectory(current);
    current = next;
  }
}

async function makeDirectory(path: string): Promise<boolean> {
  try {
    await mkdir(path);
    return true;
  } catch (error) {
    if (errorCode(error) === 'EEXIST') return false;
    throw error;
  }
}

/**
 * Removes directories left empty by a delete, up to (not including) `root`, so `list` does not
 * report prefixes without keys. Not fsynced: an empty directory that reappears after a power
 * cut is harmless because `list` ignores directories holding no records.
 */
export async function pruneEmptyDirectories(root: string, directory: string): Promise<void> {
  for (let current = directory; current !== root && current.startsWith(root + sep);) {
    try {
      await rmdir(current);
    } catch (error) {
      const code = errorCode(error);
      if (code === 'ENOTEMPTY' || code === 'EEXIST' || isMissing(error)) return;
      throw error;
    }
    current = dirname(current);
  }
}
