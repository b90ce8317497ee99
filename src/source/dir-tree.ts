/** The files of a job root on disk, for validating a working copy before it is committed. */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import {
  readWithinBySize,
  type BoundedContents,
  type ReadBudget,
  type RepoTree,
  type TreeEntry,
} from './tree.js';

const SKIPPED_DIRECTORIES = new Set(['.git', 'node_modules', '.borealis']);

export class DirectoryTree implements RepoTree {
  constructor(readonly root: string) {}

  get description(): string {
    return this.root;
  }

  async list(): Promise<TreeEntry[]> {
    const entries: TreeEntry[] = [];
    await this.walk(this.root, entries);
    return entries.sort((a, b) => (a.path < b.path ? -1 : 1));
  }

  async read(paths: readonly string[]): Promise<Map<string, string>> {
    const contents = new Map<string, string>();
    await Promise.all(
      paths.map(async (path) => {
        try {
          contents.set(path, await readFile(join(this.root, path), 'utf8'));
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
        }
      }),
    );
    return contents;
  }

  readWithin(paths: readonly string[], budget: ReadBudget): Promise<BoundedContents> {
    return readWithinBySize(
      paths,
      budget,
      (path) => sizeOnDisk(join(this.root, path)),
      (found) => this.read(found),
    );
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  private async walk(directory: string, into: TreeEntry[]): Promise<void> {
    for (const dirent of await readdir(directory, { withFileTypes: true })) {
      const full = join(directory, dirent.name);
      if (dirent.isDirectory() && !SKIPPED_DIRECTORIES.has(dirent.name)) await this.walk(full, into);
      else if (dirent.isFile()) {
        const info = await stat(full);
        const path = relative(this.root, full).split(sep).join('/');
        into.push({ path, id: `${info.size}:${info.mtimeMs}` });
      }
    }
  }
}

/** A regular file's size, or undefined when there is none at `file`. */
export async function sizeOnDisk(file: string): Promise<number | undefined> {
  const info = await stat(file).catch(() => undefined);
  return info?.isFile() ? info.size : undefined;
}
