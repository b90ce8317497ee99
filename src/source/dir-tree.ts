/** The files of a job root on disk, for validating a working copy before it is committed. */
import { readdir, readFile, readlink, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { readableFiles, withLinks } from './links.js';
import {
  readWithinBySize,
  type BoundedContents,
  type ReadBudget,
  type RepoTree,
  type TreeEntry,
} from './tree.js';

const SKIPPED_DIRECTORIES = new Set(['.git', 'node_modules', '.borealis']);

export class DirectoryTree implements RepoTree {
  /**
   * What `list` found: each readable path → the file read for it, a followed link's target
   * (never the link itself, which the file system would follow anywhere).
   */
  private readable: ReadonlyMap<string, string> | undefined;

  constructor(readonly root: string) {}

  get description(): string {
    return this.root;
  }

  async list(): Promise<TreeEntry[]> {
    const files = new Map<string, string>();
    const links = new Map<string, string>();
    await this.walk(this.root, files, links);
    const linked = withLinks(files, links);
    this.readable = readableFiles(linked);
    return linked.entries;
  }

  async read(paths: readonly string[]): Promise<Map<string, Buffer>> {
    if (!this.readable) await this.list();
    return readFilesOnDisk(paths, this.readable!, (file) => join(this.root, file));
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

  private async walk(
    directory: string,
    files: Map<string, string>,
    links: Map<string, string>,
  ): Promise<void> {
    for (const dirent of await readdir(directory, { withFileTypes: true })) {
      const full = join(directory, dirent.name);
      const path = relative(this.root, full).split(sep).join('/');
      if (dirent.isDirectory() && !SKIPPED_DIRECTORIES.has(dirent.name)) await this.walk(full, files, links);
      else if (dirent.isSymbolicLink()) links.set(path, await readlink(full, 'utf8'));
      else if (dirent.isFile()) {
        const info = await stat(full);
        files.set(path, `${info.size}:${info.mtimeMs}`);
      }
    }
  }
}

/** A regular file's size, or undefined when there is none at `file`. */
/**
 * The contents of `paths` read from disk: `readable` names the file read for each path
 * (absent: not readable), `onDisk` where it is; a file removed since it was listed is absent.
 */
export async function readFilesOnDisk(
  paths: readonly string[],
  readable: ReadonlyMap<string, string>,
  onDisk: (file: string) => string,
): Promise<Map<string, Buffer>> {
  const contents = new Map<string, Buffer>();
  await Promise.all(
    paths.map(async (path) => {
      const file = readable.get(path);
      if (file === undefined) return;
      try {
        contents.set(path, await readFile(onDisk(file)));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
    }),
  );
  return contents;
}

export async function sizeOnDisk(file: string): Promise<number | undefined> {
  const info = await stat(file).catch(() => undefined);
  return info?.isFile() ? info.size : undefined;
}
