/**
 * The files of one commit under a job root, read through a single `git cat-file --batch`
 * process: trees are walked level by level (all requests of a level pipelined), then the
 * blobs asked for are read in one batch. No working tree is touched.
 */
import { GitObjectReader, parseTree } from './git-objects.js';
import type { RepoTree, TreeEntry } from './tree.js';

const DIRECTORY_MODE = '40000';
const REGULAR_FILE_MODES = new Set(['100644', '100755']);

export interface GitTreeOptions {
  /** Any directory inside the repository. */
  repo: string;
  /** Commit-ish: a branch, tag, sha, `HEAD~2`. */
  ref: string;
  /** Job root inside the repository, relative to its top; '' for the top. */
  path?: string;
}

export class GitTree implements RepoTree {
  readonly description: string;
  private readonly reader: GitObjectReader;
  private entries: Map<string, string> | null = null;
  private commitId: string | null = null;

  constructor(private readonly options: GitTreeOptions) {
    this.reader = new GitObjectReader(options.repo);
    const root = normaliseRoot(options.path ?? '');
    this.description = root ? `${options.ref}:${root}` : options.ref;
  }

  /** The full commit id the ref resolved to. */
  async commit(): Promise<string> {
    await this.list();
    return this.commitId!;
  }

  async list(): Promise<TreeEntry[]> {
    this.entries ??= await this.walk();
    return [...this.entries].map(([path, id]) => ({ path, id }));
  }

  async read(paths: readonly string[]): Promise<Map<string, string>> {
    await this.list();
    const wanted = paths.filter((path) => this.entries!.has(path));
    const objects = await this.reader.readMany(wanted.map((path) => this.entries!.get(path)!));
    const contents = new Map<string, string>();
    wanted.forEach((path, index) => {
      const object = objects[index];
      if (object?.type === 'blob') contents.set(path, object.content.toString('utf8'));
    });
    return contents;
  }

  close(): Promise<void> {
    return this.reader.close();
  }

  private async walk(): Promise<Map<string, string>> {
    const commit = await this.reader.read(`${this.options.ref}^{commit}`);
    if (!commit) throw new Error(`${this.options.ref}: no such commit in ${this.options.repo}`);
    this.commitId = commit.id;
    const root = normaliseRoot(this.options.path ?? '');
    const rootTree = await this.reader.read(root ? `${commit.id}:${root}` : `${commit.id}^{tree}`);
    if (!rootTree || rootTree.type !== 'tree') {
      throw new Error(`${this.options.ref}: no directory ${root} in commit ${commit.id}`);
    }
    const idLength = commit.id.length / 2;
    const files = new Map<string, string>();
    let level = [{ prefix: '', content: rootTree.content }];
    while (level.length > 0) {
      const subtrees: { prefix: string; id: string }[] = [];
      for (const { prefix, content } of level) {
        for (const item of parseTree(content, idLength)) {
          const path = prefix + item.name;
          if (item.mode === DIRECTORY_MODE) subtrees.push({ prefix: `${path}/`, id: item.id });
          else if (REGULAR_FILE_MODES.has(item.mode)) files.set(path, item.id);
        }
      }
      const objects = await this.reader.readMany(subtrees.map((tree) => tree.id));
      level = subtrees.map((tree, index) => ({ prefix: tree.prefix, content: objects[index]!.content }));
    }
    return files;
  }
}

function normaliseRoot(path: string): string {
  return path
    .replace(/^\.?\/+/, '')
    .replace(/\/+$/, '')
    .replace(/^\.$/, '');
}
