/**
 * Where each key lives on disk. `jobs/web` is `<root>/jobs/web.json`: every segment but the
 * last is a directory, the last is a file with `.json` appended, so `cat` and `ls` work.
 *
 * Names containing `@` belong to the store itself (temp files, `@journal.json`, `@locks/`):
 * `@` is not a key character, so they can never collide with a key, and `list` skips them.
 *
 * A directory for a segment that itself ends in `.json` gets a `+` appended (`a.json+/`):
 * otherwise the directory of key `a.json/b` would be the very file of key `a`. `+` is not a
 * key character either, so the mapping stays one-to-one.
 */
import type { Dirent } from 'node:fs';
import { join } from 'node:path';

export const RECORD_SUFFIX = '.json';
const ESCAPED_DIRECTORY_SUFFIX = '+';

/** The transaction journal, at the root; present only while a transaction is being applied. */
export function journalPath(root: string): string {
  return join(root, '@journal.json');
}

/** The directory holding one file per lock owner (see `lock.ts`). */
export function locksPath(root: string): string {
  return join(root, '@locks');
}

export function isInternalName(name: string): boolean {
  return name.includes('@');
}

export function keySegments(key: string): string[] {
  return key.split('/');
}

function directoryName(segment: string): string {
  return segment.endsWith(RECORD_SUFFIX) ? `${segment}${ESCAPED_DIRECTORY_SUFFIX}` : segment;
}

/** The directory for a prefix given as segments (`[]` is the root). */
export function directoryPath(root: string, segments: readonly string[]): string {
  return join(root, ...segments.map(directoryName));
}

/** The file holding a key's record. */
export function recordPath(root: string, key: string): string {
  const segments = keySegments(key);
  const last = segments.pop() ?? key;
  return join(directoryPath(root, segments), `${last}${RECORD_SUFFIX}`);
}

/** The key segment a directory entry stands for, or undefined for the store's own files. */
export function segmentOfEntry(entry: Dirent): { segment: string; isDirectory: boolean } | undefined {
  if (isInternalName(entry.name)) return undefined;
  if (entry.isDirectory()) {
    const escaped = entry.name.endsWith(RECORD_SUFFIX + ESCAPED_DIRECTORY_SUFFIX);
    return { segment: escaped ? entry.name.slice(0, -1) : entry.name, isDirectory: true };
  }
  if (entry.isFile() && entry.name.endsWith(RECORD_SUFFIX)) {
    return { segment: entry.name.slice(0, -RECORD_SUFFIX.length), isDirectory: false };
  }
  return undefined;
}
