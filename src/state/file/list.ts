/** Listing the direct children of a prefix from the directory tree. */
import type { Dirent } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { isMissing } from '../../util/durable-file.js';
import { segmentOfEntry } from './layout.js';

async function entries(directory: string): Promise<Dirent[]> {
  try {
    return await readdir(directory, { withFileTypes: true });
  } catch (error) {
    if (isMissing(error)) return [];
    throw error;
  }
}

/**
 * Whether a directory holds any record, at any depth. Deletes remove emptied directories,
 * but a crash between the two (or a leftover temp file) can leave one behind; such a
 * directory is not a key prefix. Usually answered by the first readdir.
 */
async function holdsRecords(directory: string): Promise<boolean> {
  const children = (await entries(directory)).flatMap((entry) => {
    const child = segmentOfEntry(entry);
    return child === undefined ? [] : [{ ...child, name: entry.name }];
  });
  if (children.some((child) => !child.isDirectory)) return true;
  for (const child of children) if (await holdsRecords(join(directory, child.name))) return true;
  return false;
}

/** Direct children: record files without `.json` and subdirectories holding records, sorted. */
export async function listChildren(directory: string): Promise<string[]> {
  const names = new Set<string>();
  for (const entry of await entries(directory)) {
    const child = segmentOfEntry(entry);
    if (child === undefined || names.has(child.segment)) continue;
    if (!child.isDirectory || (await holdsRecords(join(directory, entry.name)))) names.add(child.segment);
  }
  return [...names].sort();
}
