/**
 * The files of one commit under a job root, read through a single `git cat-file --batch`
 * process: trees are walked level by level (all requests of a level pipelined), then the
 * blobs asked for are read in one batch. No working tree is touched.
 */
import { BorealisError } from '../errors.js';
import { GitObjectReader, parseTree, type TreeItem } from './git-objects.js';
import { withLinks, type LinkedFiles } from './links.js';
import type { BoundedContents, ReadBudget, RepoTree, TreeEntry } from './tree.js';

const DIRECTORY_MODE = '40000';
const REGULAR_FILE_MODES = new Set(['100644', '100755']);
const LINK_MODE = '120000';

export interface GitTreeOptions {
  /** Any directory inside the repository. */
  repo: string;
  /** Commit-ish: a branch, tag, sha, `HEAD~2`. */
  ref: string;
  /** Job root inside the repository, relative to its top; '' for the top. */
  path?: string;
  /** A reader shared with others and left open on close; by default the tree has its own. */
  reader?: GitObjectReader;
  /** Directories read before, shared across trees of the same repository. */
  listings?: TreeListings;
  /** The files under the root, path → blob id, when already known: the tree is not walked (`ref` is then a full commit id). */
  files?: ReadonlyMap<string, string>;
}

/**
 * Parsed directories by tree id. A tree id names its contents, so an entry never goes
 * stale; only those the newest walk used are kept, so the memory is one commit's
 * directories, not the history's.
 */
export class TreeListings {
  private items = new Map<string, TreeItem[]>();

  get(id: string): TreeItem[] | undefined {
    return this.items.get(id);
  }

  /** Replaces what is kept with one walk's directories. */
  keep(walked: Map<string, TreeItem[]>): void {
    this.items = walked;
  }
}

export class GitTree implements RepoTree {
  readonly description: string;
  private readonly reader: GitObjectReader;
  /** Readable path → blob id: regular files and followed links. */
  private entries: ReadonlyMap<string, string> | null = null;
  private listed: TreeEntry[] | null = null;
  private commitId: string | null = null;

  constructor(private readonly options: GitTreeOptions) {
    this.reader = options.reader ?? new GitObjectReader(options.repo);
    const root = normaliseRoot(options.path ?? '');
    this.description = root ? `${options.ref}:${root}` : options.ref;
    if (options.files) {
      this.entries = options.files;
      this.commitId = options.ref;
    }
  }

  /** The full commit id the ref resolved to. */
  async commit(): Promise<string> {
    await this.list();
    return this.commitId!;
  }

  async list(): Promise<TreeEntry[]> {
    if (!this.entries) {
      const linked = await this.walk();
      this.entries = linked.ids; // a followed link's id is its file's: read as that file
      this.listed = linked.entries;
    }
    return this.listed ? [...this.listed] : [...this.entries].map(([path, id]) => ({ path, id }));
  }

  async read(paths: readonly string[]): Promise<Map<string, Buffer>> {
    await this.list();
    const wanted = paths.filter((path) => this.entries!.has(path));
    const objects = await this.reader.readMany(wanted.map((path) => this.entries!.get(path)!));
    const contents = new Map<string, Buffer>();
    wanted.forEach((path, index) => {
      const object = objects[index];
      if (object?.type === 'blob') contents.set(path, object.content);
    });
    return contents;
  }

  async readWithin(paths: readonly string[], budget: ReadBudget): Promise<BoundedContents> {
    await this.list();
    const wanted = paths.filter((path) => this.entries!.has(path));
    const objects = await this.reader.readWithin(
      wanted.map((path) => this.entries!.get(path)!),
      budget,
    );
    const found: BoundedContents = { blobs: new Map(), tooLarge: new Map(), bytes: new Map() };
    wanted.forEach((path, index) => {
      const object = objects[index];
      if (object?.type !== 'blob') return;
      found.bytes.set(path, object.size);
      if (object.content) found.blobs.set(path, object.content);
      else found.tooLarge.set(path, object.size);
    });
    return found;
  }

  close(): Promise<void> {
    return this.options.reader ? Promise.resolve() : this.reader.close();
  }

  private async walk(): Promise<LinkedFiles> {
    const commit = await this.reader.read(`${this.options.ref}^{commit}`);
    if (!commit) {
      throw new BorealisError(
        'NO_SUCH_COMMIT',
        `${this.options.ref}: no such commit in ${this.options.repo}`,
        {
          hint: 'name a branch, tag or commit of the repository (git log --oneline lists them)',
        },
      );
    }
    this.commitId = commit.id;
    const root = normaliseRoot(this.options.path ?? '');
    const rootTree = await this.reader.read(root ? `${commit.id}:${root}` : `${commit.id}^{tree}`);
    if (!rootTree || rootTree.type !== 'tree') {
      throw new BorealisError(
        'NO_SUCH_PATH',
        `${this.options.ref}: no directory ${root} in commit ${commit.id}`,
        {
          hint: '--path is the job root relative to the top of the repository',
        },
      );
    }
    const idLength = commit.id.length / 2;
    const files = new Map<string, string>();
    const links = new Map<string, string>();
    const walked = new Map<string, TreeItem[]>();
    const listing = (id: string, content: Buffer) => {
      const items = parseTree(content, idLength);
      walked.set(id, items);
      return items;
    };
    let level = [{ prefix: '', items: listing(rootTree.id, rootTree.content) }];
    while (level.length > 0) {
      const subtrees: { prefix: string; id: string }[] = [];
      for (const { prefix, items } of level) {
        for (const item of items) {
          const path = prefix + item.name;
          if (item.mode === DIRECTORY_MODE) subtrees.push({ prefix: `${path}/`, id: item.id });
          else if (REGULAR_FILE_MODES.has(item.mode)) files.set(path, item.id);
          else if (item.mode === LINK_MODE) links.set(path, item.id);
        }
      }
      level = await this.readLevel(subtrees, walked, listing);
    }
    this.options.listings?.keep(walked);
    return withLinks(files, await this.linkTargets(links));
  }

  /** Each link's target as written: its blob's text. */
  private async linkTargets(links: ReadonlyMap<string, string>): Promise<Map<string, string>> {
    const objects = await this.reader.readMany([...links.values()]);
    const paths = [...links.keys()];
    return new Map(paths.map((path, index) => [path, objects[index]?.content.toString('utf8') ?? '']));
  }

  /** One level's directories: known ones from the listings, the rest read in one pipelined batch. */
  private async readLevel(
    subtrees: { prefix: string; id: string }[],
    walked: Map<string, TreeItem[]>,
    listing: (id: string, content: Buffer) => TreeItem[],
  ): Promise<{ prefix: string; items: TreeItem[] }[]> {
    const known = (id: string) => walked.get(id) ?? this.options.listings?.get(id);
    const unknown = subtrees.filter((tree) => !known(tree.id));
    const objects = await this.reader.readMany(unknown.map((tree) => tree.id));
    unknown.forEach((tree, index) => listing(tree.id, objects[index]!.content));
    return subtrees.map((tree) => {
      const items = known(tree.id)!;
      walked.set(tree.id, items);
      return { prefix: tree.prefix, items };
    });
  }
}

export function normaliseRoot(path: string): string {
  return path
    .replace(/^\.?\/+/, '')
    .replace(/\/+$/, '')
    .replace(/^\.$/, '');
}
