/**
 * The files of a job root as they are in a Git work tree, committed or not, as Git sees
 * them: tracked files and untracked ones that are not ignored, without those deleted. Each
 * file's id is its Git blob id (`git hash-object` for the changed ones), so a spec cached
 * from a working-tree file is exactly the one its commit would give.
 */
import { execFile } from 'node:child_process';
import { lstat, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { normaliseRoot } from './git-tree.js';
import { sizeOnDisk } from './dir-tree.js';
import {
  readWithinBySize,
  type BoundedContents,
  type ReadBudget,
  type RepoTree,
  type TreeEntry,
} from './tree.js';

const run = promisify(execFile);
const MAX_BUFFER = 256 * 1024 * 1024;
const REGULAR_FILE_MODES = new Set(['100644', '100755']);
/** Only YAML files can change what the job root declares (jobs, templates, clusters.yaml). */
const SPEC_FILE = /\.ya?ml$/;

/** What differs between a work tree's job root and the commit checked out. */
export interface UncommittedChanges {
  /** The repository's top directory. */
  top: string;
  /** The job root relative to the top; '' for the top. */
  root: string;
  /** The commit checked out (HEAD). */
  baseCommit: string;
  /** YAML files under the job root, relative to it, that are modified, added, deleted or untracked. */
  changedFiles: string[];
}

/** The uncommitted changes under the job root; undefined when there are none. */
export async function uncommittedChanges(
  repo: string,
  path: string,
): Promise<UncommittedChanges | undefined> {
  const top = (await git(repo, ['rev-parse', '--show-toplevel'])).trim();
  const root = normaliseRoot(path);
  const changed = await statusUnder(top, root);
  const changedFiles = [...changed.keys()].filter((file) => SPEC_FILE.test(file)).sort();
  if (changedFiles.length === 0) return undefined;
  const baseCommit = (await git(top, ['rev-parse', '--verify', 'HEAD^{commit}'])).trim();
  return { top, root, baseCommit, changedFiles };
}

export class WorkingTree implements RepoTree {
  readonly description: string;

  constructor(private readonly changes: UncommittedChanges) {
    this.description = `the working tree of ${changes.root || changes.top}`;
  }

  async list(): Promise<TreeEntry[]> {
    const { top, root } = this.changes;
    const [tracked, untracked, changed] = await Promise.all([
      git(top, ['ls-files', '-z', '--stage', '--', pathspec(root)]),
      git(top, ['ls-files', '-z', '--others', '--exclude-standard', '--', pathspec(root)]),
      statusUnder(top, root),
    ]);
    const ids = new Map<string, string>();
    for (const line of records(tracked)) {
      const [meta, file] = splitOnce(line, '\t');
      const [mode, id] = meta.split(' ');
      if (REGULAR_FILE_MODES.has(mode!)) ids.set(relativeTo(root, file), id!);
    }
    for (const file of records(untracked)) ids.set(relativeTo(root, file), '');
    for (const [file, deleted] of changed) if (deleted) ids.delete(file);
    const hashed = [...ids.keys()].filter((file) => changed.has(file) || ids.get(file) === '');
    const regular = await this.regularFiles(hashed);
    for (const file of hashed) if (!regular.has(file)) ids.delete(file);
    const blobIds = await this.hash([...regular]);
    for (const [file, id] of blobIds) ids.set(file, id);
    return [...ids]
      .map(([path, id]) => ({ path, id }))
      .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  async read(paths: readonly string[]): Promise<Map<string, string>> {
    const contents = new Map<string, string>();
    await Promise.all(
      paths.map(async (path) => {
        try {
          contents.set(path, await readFile(this.onDisk(path), 'utf8'));
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
      (path) => sizeOnDisk(this.onDisk(path)),
      (found) => this.read(found),
    );
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  private onDisk(path: string): string {
    return join(this.changes.top, this.changes.root, path);
  }

  private async regularFiles(paths: readonly string[]): Promise<Set<string>> {
    const found = await Promise.all(
      paths.map(async (path) =>
        (await lstat(this.onDisk(path)).catch(() => undefined))?.isFile() ? path : '',
      ),
    );
    return new Set(found.filter((path) => path !== ''));
  }

  /** Blob ids as `git add` would store the files (filters applied), in one process. */
  private async hash(paths: readonly string[]): Promise<Map<string, string>> {
    if (paths.length === 0) return new Map();
    const input = paths.map((path) => this.onDisk(path)).join('\n');
    const output = await gitWithInput(this.changes.top, ['hash-object', '--stdin-paths'], `${input}\n`);
    const ids = output.trim().split('\n');
    return new Map(paths.map((path, index) => [path, ids[index]!]));
  }
}

/** Files under the root that differ from HEAD, relative to it → whether they are deleted from disk. */
async function statusUnder(top: string, root: string): Promise<Map<string, boolean>> {
  // No optional locks: a status run beside a daemon must not take the index lock.
  const output = await git(top, [
    '--no-optional-locks',
    'status',
    '--porcelain=v1',
    '-z',
    '--no-renames',
    '--untracked-files=all',
    '--',
    pathspec(root),
  ]);
  const changed = new Map<string, boolean>();
  for (const entry of records(output)) {
    const state = entry.slice(0, 2);
    changed.set(relativeTo(root, entry.slice(3)), state[1] === 'D' || state === 'D ');
  }
  return changed;
}

function pathspec(root: string): string {
  return root ? `:(top,literal)${root}` : ':(top)';
}

function relativeTo(root: string, file: string): string {
  return root ? file.slice(root.length + 1) : file;
}

function records(output: string): string[] {
  return output.split('\0').filter((record) => record !== '');
}

function splitOnce(text: string, separator: string): [string, string] {
  const at = text.indexOf(separator);
  return [text.slice(0, at), text.slice(at + 1)];
}

async function git(cwd: string, args: string[]): Promise<string> {
  return (await run('git', args, { cwd, maxBuffer: MAX_BUFFER })).stdout;
}

async function gitWithInput(cwd: string, args: string[], input: string): Promise<string> {
  const pending = run('git', args, { cwd, maxBuffer: MAX_BUFFER });
  pending.child.stdin!.end(input);
  return (await pending).stdout;
}
