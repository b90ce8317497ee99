/**
 * Which repository and which commit a command reads: the `--ref`, else the tracked branch,
 * else the branch checked out; the commit it names now; the uncommitted changes a plan
 * previews. The Git calls the command line makes itself (the rest go through `source/`).
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { BorealisError } from '../../errors.js';
import { uncommittedChanges, type UncommittedChanges } from '../../source/working-tree.js';
import type { GlobalOptions } from '../global-options.js';

const run = promisify(execFile);

type RepositoryOptions = Pick<GlobalOptions, 'repo' | 'branch' | 'path'>;

/** What a command reads: `ref`, else the tracked branch, else the repository's current branch. */
export async function targetRef(options: RepositoryOptions, ref: string | undefined): Promise<string> {
  return ref ?? options.branch ?? (await currentBranch(options.repo));
}

/** The commit the branch head (or `ref`) names now; undefined when Git cannot say (the load then reports why). */
export async function resolveCommit(options: RepositoryOptions, ref?: string): Promise<string | undefined> {
  try {
    const target = await targetRef(options, ref);
    const args = ['rev-parse', '--verify', '--quiet', '--end-of-options', `${target}^{commit}`];
    return (await git(options.repo, args)).trim();
  } catch {
    return undefined;
  }
}

/**
 * Uncommitted changes to the job root that a plan without `--ref` previews; none when the
 * tracked branch is not the one checked out (its head is planned then).
 */
export async function workingTreeChanges(
  options: RepositoryOptions,
): Promise<UncommittedChanges | undefined> {
  try {
    if (options.branch !== undefined && options.branch !== (await currentBranch(options.repo)))
      return undefined;
    return await uncommittedChanges(options.repo, options.path);
  } catch {
    // No work tree (a bare repository) or no branch checked out: the commit is planned, or its error shown.
    return undefined;
  }
}

async function currentBranch(repo: string): Promise<string> {
  try {
    return (await git(repo, ['symbolic-ref', '--short', 'HEAD'])).trim();
  } catch (error) {
    throw new BorealisError('NO_BRANCH', `${repo}: not a Git repository with a checked-out branch`, {
      hint: 'pass --repo PATH (a Git repository) and --branch NAME',
      cause: error,
    });
  }
}

/**
 * Why the tracked branch has nothing to read, when that is so: `--repo` is no Git
 * repository (state shared through ZooKeeper is looked at from anywhere), or the branch
 * checked out has no commit yet. Undefined when there is a commit to read. A repository
 * Git cannot open (a damaged `.git`) is an error, not "no repository".
 */
export async function nothingToRead(
  options: RepositoryOptions,
): Promise<'no-repository' | 'no-commit' | undefined> {
  if (!existsSync(options.repo)) {
    throw new BorealisError('NOT_A_GIT_REPOSITORY', `${options.repo}: no such directory`, {
      hint: 'pass --repo with a Git repository path',
    });
  }
  const refused = await git(options.repo, ['rev-parse', '--git-dir']).then(
    () => undefined,
    (error: unknown) => error as Error & { stderr?: string },
  );
  if (refused && !withinGitDirectory(options.repo)) return 'no-repository';
  if (refused) {
    const why = refused.stderr?.trim().split('\n')[0] || refused.message;
    throw new BorealisError(
      'SOURCE_UNREADABLE',
      `${options.repo}: Git cannot open this repository (${why})`,
      {
        hint: 'check it with git status and git fsck; the cluster backend is not guessed without it',
        cause: refused,
      },
    );
  }
  const checkedOut = await git(options.repo, ['symbolic-ref', '--quiet', 'HEAD']).then(
    (out) => out.trim(),
    () => undefined, // a detached HEAD: the branch named is read, or NO_BRANCH says why not
  );
  if (checkedOut === undefined) return undefined;
  if (options.branch !== undefined && `refs/heads/${options.branch}` !== checkedOut) return undefined;
  const born = await git(options.repo, ['show-ref', '--verify', '--quiet', checkedOut]).then(
    () => true,
    () => false,
  );
  return born ? undefined : 'no-commit';
}

/** Whether `dir` or a directory above it has a `.git`, as Git looks for one. */
function withinGitDirectory(dir: string): boolean {
  for (let at = resolve(dir); ; at = dirname(at)) {
    if (existsSync(join(at, '.git'))) return true;
    if (dirname(at) === at) return false;
  }
}

async function git(repo: string, args: string[]): Promise<string> {
  return (await run('git', args, { cwd: repo })).stdout;
}
