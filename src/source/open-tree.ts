/** Opens the tree a command reads: a directory as it is on disk, or one commit of a Git repository. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { BorealisError } from '../errors.js';
import { DirectoryTree } from './dir-tree.js';
import { GitTree } from './git-tree.js';
import type { RepoTree } from './tree.js';
import { stat } from 'node:fs/promises';

const run = promisify(execFile);

export interface TreeSelection {
  /** A directory: the job root itself, or with `ref`, any directory inside a Git repository. */
  dir: string;
  /** Read this commit instead of the files on disk. */
  ref?: string;
  /** With `ref`: the job root relative to the repository top; defaults to `dir`'s own place in it. */
  path?: string;
}

export async function openTree({ dir, ref, path }: TreeSelection): Promise<RepoTree> {
  const info = await stat(dir).catch(() => undefined);
  if (!info?.isDirectory()) throw new BorealisError('NO_SUCH_DIRECTORY', `${dir}: no such directory`);
  if (ref === undefined) return new DirectoryTree(dir);
  const prefix = await run('git', ['rev-parse', '--show-prefix'], { cwd: dir }).catch((error: unknown) => {
    throw new BorealisError('NOT_A_GIT_REPOSITORY', `${dir} is not inside a Git repository`, {
      cause: error,
    });
  });
  return new GitTree({ repo: dir, ref, path: path ?? prefix.stdout.trim() });
}
