/**
 * The files that differ between two trees, found by comparing tree ids: a directory with
 * the same id on both sides has the same contents and is not opened. A commit that changes
 * one job file of a large repository opens the few directories on its path, not every entry.
 */
import { GitObjectReader, parseTree, type TreeItem } from './git-objects.js';
import type { TreeListings } from './git-tree.js';

const DIRECTORY_MODE = '40000';
const REGULAR_FILE_MODES = new Set(['100644', '100755']);
const LINK_MODE = '120000';

/**
 * A file added or changed (its new blob id), or removed (null). A symbolic link added,
 * changed or removed counts as removed: what it reads as is for a full load to resolve.
 */
export interface FileChange {
  path: string;
  id: string | null;
}

export async function diffTrees(
  reader: GitObjectReader,
  listings: TreeListings | undefined,
  from: string,
  to: string,
): Promise<FileChange[]> {
  const idLength = from.length / 2;
  const itemsOf = async (id: string): Promise<TreeItem[]> => {
    const known = listings?.get(id);
    if (known) return known;
    const object = await reader.read(id);
    if (!object || object.type !== 'tree') throw new Error(`${id} is not a tree`);
    return parseTree(object.content, idLength);
  };
  const changes: FileChange[] = [];
  const walk = async (prefix: string, before: string | null, after: string | null): Promise<void> => {
    const [old, now] = await Promise.all([
      before ? itemsOf(before).then(byName) : new Map<string, TreeItem>(),
      after ? itemsOf(after).then(byName) : new Map<string, TreeItem>(),
    ]);
    const subtrees: Promise<void>[] = [];
    for (const name of new Set([...old.keys(), ...now.keys()])) {
      const a = old.get(name);
      const b = now.get(name);
      if (a && b && a.id === b.id && a.mode === b.mode) continue;
      const path = prefix + name;
      const dirA = a?.mode === DIRECTORY_MODE ? a.id : null;
      const dirB = b?.mode === DIRECTORY_MODE ? b.id : null;
      if (dirA || dirB) subtrees.push(walk(`${path}/`, dirA, dirB));
      const fileA = a && REGULAR_FILE_MODES.has(a.mode) ? a.id : null;
      const fileB = b && REGULAR_FILE_MODES.has(b.mode) ? b.id : null;
      if (a?.mode === LINK_MODE || b?.mode === LINK_MODE) changes.push({ path, id: null });
      else if (fileA !== fileB) changes.push({ path, id: fileB });
    }
    await Promise.all(subtrees);
  };
  if (from !== to) await walk('', from, to);
  return changes.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

function byName(items: readonly TreeItem[]): Map<string, TreeItem> {
  return new Map(items.map((item) => [item.name, item]));
}
