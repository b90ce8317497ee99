/**
 * A read-only view of a job repository's files, either a directory or one Git commit.
 * The spec loader reads through this so that validating a commit never looks at the
 * working tree, and so that thousands of files are read in one batch.
 */
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
  close(): Promise<void>;
}
