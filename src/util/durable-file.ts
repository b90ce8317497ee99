/**
 * File operations that survive a crash or power cut at any instant: content goes to a temp
 * file in the target's own directory (so `rename` never crosses a filesystem), is fsynced,
 * renamed over the target, and then the directory is fsynced so the rename itself is on
 * disk. A reader therefore sees the old file or the new one, never a mix.
 */
import { readFile as readFileCallback, readFileSync } from 'node:fs';
import { mkdir, open, rename, rm, rmdir } from 'node:fs/promises';
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
 * to the thread pool, and takes about twice as long for the small files a store holds.
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

export function readTextIfExistsSync(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    if (isMissing(error)) return null;
    throw error;
  }
}

export async function syncDirectory(directory: string): Promise<void> {
  const handle = await open(directory, 'r');
  try {
    await handle.sync();
  } catch (error) {
    // Some platforms cannot fsync a directory; there the rename is as durable as it gets.
    if (errorCode(error) !== 'EINVAL' && errorCode(error) !== 'EISDIR') throw error;
  } finally {
    await handle.close();
  }
}

export async function writeFileDurably(path: string, text: string): Promise<void> {
  await replaceFile(path, text);
  await syncDirectory(dirname(path));
}

/**
 * Writes a whole new file in place of `path` (temp file, fsync, rename) without the
 * directory's fsync: the caller syncs each directory once after many replacements.
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
