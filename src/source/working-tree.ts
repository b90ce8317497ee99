/**
 * The files of a job root as they are in a Git work tree, committed or not, as Git sees
 * them: tracked files and untracked ones that are not ignored, without those deleted. Each
 * file's id is its Git blob id (`git hash-object` for the changed ones), so a spec cached
 * from a working-tree file is exactly the one its commit would give.
 */
import { execFile } from 'node:child_process';
import { lstat, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { normaliseRoot } from './git-tree.js';
import { readableFiles, withLinks } from './links.js';
import { readFilesOnDisk, sizeOnDisk } from './dir-tree.js';
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
const LINK_MODE = '120000';
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
  /** What `list` found: each readable path → the file read for it (a followed link's target). */
  private readable: ReadonlyMap<string, string> | undefined;

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
      if (REGULAR_FILE_MODES.has(mode!) || mode === LINK_MODE) ids.set(relativeTo(root, file), id!);
    }
    for (const file of records(untracked)) ids.set(relativeTo(root, file), '');
    for (const [file, deleted] of changed) if (deleted) ids.delete(file);
    // Every path's kind is as it is on disk: a changed or untracked file, and every link.
    const onDisk = [...ids.keys()].filter((file) => changed.has(file) || ids.get(file) === '');
    const kinds = await this.kinds([...new Set([...onDisk, ...trackedLinks(tracked, root)])]);
    const links = new Map<string, string>();
    for (const [file, kind] of kinds) {
      if (kind.link !== undefined) links.set(file, kind.link);
      if (!kind.regular) ids.delete(file);
    }
    const regular = onDisk.filter((file) => kinds.get(file)?.regular);
    for (const [file, id] of await this.hash(regular)) ids.set(file, id);
    const linked = withLinks(ids, links);
    this.readable = readableFiles(linked);
    return linked.entries;
  }

  async read(paths: readonly string[]): Promise<Map<string, Buffer>> {
    if (!this.readable) await this.list();
    return readFilesOnDisk(paths, this.readable!, (file) => this.onDisk(file));
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

  /** Whether each path is a regular file on disk, and a link's target as written. */
  private async kinds(paths: readonly string[]): Promise<Map<string, { regular: boolean; link?: string }>> {
    const found = await Promise.all(
      paths.map(async (path) => {
        const info = await lstat(this.onDisk(path)).catch(() => undefined);
        const link = info?.isSymbolicLink() ? await readlink(this.onDisk(path), 'utf8') : undefined;
        return [path, { regular: info?.isFile() ?? false, link }] as const;
      }),
    );
    return new Map(found);
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

function trackedLinks(lsFiles: string, root: string): string[] {
  return records(lsFiles)
    .filter((line) => line.startsWith(`${LINK_MODE} `))
    .map((line) => relativeTo(root, splitOnce(line, '\t')[1]));
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
