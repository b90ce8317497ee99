/**
 * The tracked repository: a local path, or a remote URL cloned (bare) into the state
 * directory and fetched. It answers what the deployable revision is (the head of the
 * tracked branch), what a commit says about itself, which commits are new, whether a
 * range touched the job root, and when the branch moves.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { simpleGit, type SimpleGit } from 'simple-git';
import { BorealisError } from '../errors.js';
import { GitObjectReader } from './git-objects.js';
import { GitTree, normaliseRoot, TreeListings } from './git-tree.js';
import { commitFromShow, parseCommit, SHOW_FORMAT } from './commit-object.js';
import { diffTrees, type FileChange } from './tree-diff.js';

const run = promisify(execFile);

export interface Person {
  name: string;
  email: string;
}

export interface CommitInfo {
  id: string;
  parents: string[];
  author: Person;
  committer: Person;
  /** ISO 8601 committer date. */
  date: string;
  message: string;
}

export interface TrackedSourceOptions {
  /** A local repository path or a remote URL (https://, ssh://, git@host:path, file://). */
  repo: string;
  /** Default: the local repository's checked-out branch, or the remote's default branch. */
  branch?: string;
  /** Job root inside the repository. */
  path: string;
  /** Where a remote is cloned. */
  stateDir: string;
}

/** Commits are listed at most this far back; older ones in one jump are summarised, not recorded one by one. */
export const MAX_NEW_COMMITS = 200;

export class TrackedSource {
  /** One `git cat-file` for the source's life: the daemon asks about every commit through it. */
  private reader: GitObjectReader | undefined;
  /** Directories already read, by tree id: a commit that changes one file reads only its path's trees. */
  private readonly listings = new TreeListings();

  private constructor(
    /** The repository git commands run in: the local repository or the bare clone. */
    readonly dir: string,
    readonly branch: string,
    readonly path: string,
    readonly remote: string | undefined,
    private readonly git: SimpleGit,
  ) {}

  static async open(options: TrackedSourceOptions): Promise<TrackedSource> {
    if (isRemote(options.repo)) return TrackedSource.openRemote(options);
    const dir = resolve(options.repo);
    const git = simpleGit({ baseDir: dir });
    if (!(await git.checkIsRepo().catch(() => false))) {
      throw new BorealisError('NOT_A_GIT_REPOSITORY', `${options.repo} is not a Git repository`, {
        hint: 'pass --repo with a Git repository path or URL',
      });
    }
    const branch = options.branch ?? (await git.raw(['symbolic-ref', '--short', 'HEAD'])).trim();
    return new TrackedSource(dir, branch, options.path, undefined, git);
  }

  get description(): string {
    return `${this.remote ?? this.dir} (${this.branch})`;
  }

  /** Fetches the tracked branch from the remote; nothing to do for a local repository. */
  async refresh(): Promise<void> {
    if (!this.remote) return;
    await this.git.fetch(['--prune', 'origin', `+refs/heads/${this.branch}:refs/heads/${this.branch}`]);
  }

  /** The deployable revision: the head of the tracked branch. */
  async head(): Promise<string> {
    const head = await this.objects().read(`refs/heads/${this.branch}^{commit}`);
    if (!head) throw new BorealisError('NO_SUCH_BRANCH', `${this.description}: no branch ${this.branch}`);
    return head.id;
  }

  /** The commit a branch, tag or id names. */
  async resolve(ref: string): Promise<string> {
    try {
      return (await this.git.revparse([`${ref}^{commit}`])).trim();
    } catch (error) {
      throw new BorealisError('NO_SUCH_COMMIT', `${this.description}: ${ref} names no commit`, {
        cause: error,
      });
    }
  }

  async commit(id: string): Promise<CommitInfo> {
    const object = await this.objects().read(`${id}^{commit}`);
    const parsed = object && parseCommit(object.id, object.content);
    return parsed ?? this.commitFromShow(id);
  }

  /** For what `parseCommit` leaves to git: a missing commit's error, a message in another encoding. */
  private async commitFromShow(id: string): Promise<CommitInfo> {
    return commitFromShow(await this.git.raw(['show', '-s', `--format=${SHOW_FORMAT}`, id]));
  }

  /** Where the repository is published, for links to commits: the tracked remote, else `origin`. */
  async publishedUrl(): Promise<string | undefined> {
    if (this.remote) return this.remote;
    try {
      return (await this.git.raw(['remote', 'get-url', 'origin'])).trim() || undefined;
    } catch {
      return undefined; // a repository without an origin has no web page to link to
    }
  }

  /** Commits after `since` up to `head`, newest first (just `head` when there is no `since`). */
  async commitsSince(since: string | null, head: string): Promise<string[]> {
    if (!since || since === head) return since === head ? [] : [head];
    // The usual case, one commit on top of the last: no rev-list needed.
    const { parents } = await this.commit(head);
    if (parents.length === 1 && parents[0] === since) return [head];
    const range = (await this.isCommit(since)) ? `${since}..${head}` : head;
    const out = await this.git.raw(['rev-list', `--max-count=${MAX_NEW_COMMITS}`, range]);
    return out.split('\n').filter(Boolean);
  }

  /** Whether anything under the job root differs between two commits. */
  async touchesJobRoot(from: string, to: string): Promise<boolean> {
    if (!(await this.isCommit(from))) return true;
    // Equal tree ids are equal contents: what `git diff --name-only` would find, without a diff.
    const [before, after] = await Promise.all([this.jobRootId(from), this.jobRootId(to)]);
    return before !== after;
  }

  /**
   * The files under the job root that differ from one commit to another, paths relative to
   * the root; undefined when either commit has no job root (or is not there at all).
   */
  async changedFiles(from: string, to: string): Promise<FileChange[] | undefined> {
    const [before, after] = await Promise.all([this.jobRootId(from), this.jobRootId(to)]);
    if (!before || !after) return undefined;
    return diffTrees(this.objects(), this.listings, before, after);
  }

  /** One commit's job root; `files` (with `ref` a full commit id) when its listing is already known. */
  tree(ref: string, files?: ReadonlyMap<string, string>): GitTree {
    return new GitTree({
      repo: this.dir,
      ref,
      path: this.path,
      reader: this.objects(),
      listings: this.listings,
      files,
    });
  }

  /** Ends the source's git process; reads after this start a new one. */
  async close(): Promise<void> {
    const reader = this.reader;
    this.reader = undefined;
    await reader?.close();
  }

  /** The job root's object id at a commit, or null where the commit has no job root. */
  private async jobRootId(commit: string): Promise<string | null> {
    const root = normaliseRoot(this.path);
    const tree = await this.objects().read(root ? `${commit}:${root}` : `${commit}^{tree}`);
    return tree?.id ?? null;
  }

  private objects(): GitObjectReader {
    if (!this.reader || this.reader.broken) this.reader = new GitObjectReader(this.dir);
    return this.reader;
  }

  /** Calls `onChange` when a local repository's refs change (a commit, a reset, a push into it). */
  async watchRefs(onChange: () => void): Promise<() => Promise<void>> {
    if (this.remote) return async () => {};
    const commonDir = (await run('git', ['rev-parse', '--git-common-dir'], { cwd: this.dir })).stdout.trim();
    const gitDir = isAbsolute(commonDir) ? commonDir : join(this.dir, commonDir);
    const { watch } = await import('chokidar'); // only watch needs it
    const watcher = watch([join(gitDir, 'refs', 'heads'), join(gitDir, 'packed-refs')], {
      ignoreInitial: true,
      ignored: (path) => path.endsWith('.lock'),
    });
    watcher.on('all', () => onChange());
    await new Promise<void>((ready) => watcher.once('ready', () => ready()));
    return () => watcher.close();
  }

  private static async openRemote(options: TrackedSourceOptions): Promise<TrackedSource> {
    const dir = join(resolve(options.stateDir), 'source.git');
    if (!existsSync(join(dir, 'HEAD'))) {
      await mkdir(options.stateDir, { recursive: true });
      const branchArgs = options.branch ? ['--branch', options.branch] : [];
      try {
        await simpleGit().clone(options.repo, dir, ['--bare', '--single-branch', ...branchArgs]);
      } catch (error) {
        throw new BorealisError('CLONE_FAILED', `cannot clone ${options.repo}: ${(error as Error).message}`, {
          cause: error,
        });
      }
    }
    const git = simpleGit({ baseDir: dir });
    const branch = options.branch ?? (await git.raw(['symbolic-ref', '--short', 'HEAD'])).trim();
    const source = new TrackedSource(dir, branch, options.path, options.repo, git);
    await source.refresh();
    return source;
  }

  private async isCommit(id: string): Promise<boolean> {
    return (await this.objects().read(`${id}^{commit}`)) !== null;
  }
}

export function isRemote(repo: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(repo) || /^[\w.-]+@[\w.-]+:/.test(repo);
}
