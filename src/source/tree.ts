/**
 * A read-only view of a job repository's files, either a directory or one Git commit.
 * The spec loader reads through this so that validating a commit never looks at the
 * working tree, and so that thousands of files are read in one batch.
 */
import type { ReadBudget } from './git-objects.js';

export type { ReadBudget };

export interface TreeEntry {
  /** Path relative to the job root, with forward slashes. */
  path: string;
  /** Content identity: the Git blob id, or for a directory a cheap stand-in (size + mtime). */
  id: string;
  /** For a symbolic link that is followed: the file it reads as (`id` is that file's). */
  linkTo?: string;
  /** For a symbolic link that cannot be followed: why, naming its target (`id` is ''). */
  problem?: string;
}

/** What a read within a budget found: the files that fit, and the size of each that did not. */
export interface BoundedContents {
  blobs: Map<string, Buffer>;
  /** Files not read, path → bytes: each over `maxEach`, or past what remained of the budget. */
  tooLarge: Map<string, number>;
  /** Bytes of every file found, read or not. */
  bytes: Map<string, number>;
}

export interface RepoTree {
  /** Human-readable origin, e.g. `example-repo` or `HEAD (1a2b3c4) of /src/jobs`. */
  readonly description: string;
  /** Every regular file under the job root, and its symbolic links (see `links.ts`). */
  list(): Promise<TreeEntry[]>;
  /**
   * Contents of the given files as bytes, in one batch; a missing path is absent from the
   * result. The spec loader decodes them (`parseYamlFile`), so invalid UTF-8 is reported there.
   */
  read(paths: readonly string[]): Promise<Map<string, Buffer>>;
  /**
   * Like `read`, but a file is read only when it fits the budget (which it then uses up):
   * its size is known before its bytes are held, so an oversized file costs no memory.
   */
  readWithin(paths: readonly string[], budget: ReadBudget): Promise<BoundedContents>;
  close(): Promise<void>;
}

/** `readWithin` for trees that can tell a file's size before reading it (files on disk, memory). */
export async function readWithinBySize(
  paths: readonly string[],
  budget: ReadBudget,
  sizeOf: (path: string) => Promise<number | undefined>,
  read: (paths: readonly string[]) => Promise<Map<string, Buffer>>,
): Promise<BoundedContents> {
  const sizes = await Promise.all(paths.map(sizeOf));
  const bytes = new Map<string, number>();
  const tooLarge = new Map<string, number>();
  const fitting: string[] = [];
  paths.forEach((path, index) => {
    const size = sizes[index];
    if (size === undefined) return;
    bytes.set(path, size);
    if (size <= budget.maxEach && size <= budget.remaining) {
      budget.remaining -= size;
      fitting.push(path);
    } else tooLarge.set(path, size);
  });
  return { blobs: await read(fitting), tooLarge, bytes };
}
