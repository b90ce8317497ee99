/** Opens the tree a command reads: a directory as it is on disk, or one commit of a Git repository. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { BorealisError } from '../errors.js';
import { DirectoryTree } from './dir-tree.js';
import { GitTree } from './git-tree.js';
import type { RepoTree } from './tree.js';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';

const run = promisify(execFile);

export interface TreeSelection {
  /** A directory: the job root itself, or with `ref`, any directory inside a Git repository. */
  dir: string;
  /** Read this commit instead of the files on disk. */
  ref?: string;
  /**
   * The job root relative to the top of the Git repository holding `dir` (relative to `dir`
   * when it is in none); by default `dir` itself.
   */
  path?: string;
}

export async function openTree({ dir, ref, path }: TreeSelection): Promise<RepoTree> {
  const info = await stat(dir).catch(() => undefined);
  if (!info?.isDirectory()) throw new BorealisError('NO_SUCH_DIRECTORY', `${dir}: no such directory`);
  if (ref === undefined) return openDirectory(dir, path);
  const prefix = await run('git', ['rev-parse', '--show-prefix'], { cwd: dir }).catch((error: unknown) => {
    throw new BorealisError('NOT_A_GIT_REPOSITORY', `${dir} is not inside a Git repository`, {
      cause: error,
    });
  });
  return new GitTree({ repo: dir, ref, path: path ?? prefix.stdout.trim() });
}

async function openDirectory(dir: string, path: string | undefined): Promise<RepoTree> {
  if (path === undefined) return new DirectoryTree(dir);
  const top = await run('git', ['rev-parse', '--show-toplevel'], { cwd: dir }).then(
    (found) => found.stdout.trim(),
    () => dir,
  );
  const root = join(top, path);
  const info = await stat(root).catch(() => undefined);
  if (!info?.isDirectory()) throw new BorealisError('NO_SUCH_DIRECTORY', `${root}: no such directory`);
  return new DirectoryTree(root);
}
