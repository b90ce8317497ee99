/** A repository held in memory: for previews of generated content and for tests. */
import { createHash } from 'node:crypto';
import {
  readWithinBySize,
  type BoundedContents,
  type ReadBudget,
  type RepoTree,
  type TreeEntry,
} from './tree.js';

export class MemoryTree implements RepoTree {
  readonly description: string;

  constructor(
    private readonly files: Readonly<Record<string, string | Uint8Array>>,
    description = 'memory',
  ) {
    this.description = description;
  }

  list(): Promise<TreeEntry[]> {
    return Promise.resolve(
      Object.keys(this.files)
        .sort()
        .map((path) => ({ path, id: createHash('sha1').update(this.files[path]!).digest('hex') })),
    );
  }

  read(paths: readonly string[]): Promise<Map<string, Buffer>> {
    const found = paths
      .filter((path) => Object.hasOwn(this.files, path))
      .map((path) => [path, Buffer.from(this.files[path]!)] as const);
    return Promise.resolve(new Map(found));
  }

  readWithin(paths: readonly string[], budget: ReadBudget): Promise<BoundedContents> {
    const sizeOf = (path: string) =>
      Promise.resolve(Object.hasOwn(this.files, path) ? Buffer.byteLength(this.files[path]!) : undefined);
    return readWithinBySize(paths, budget, sizeOf, (found) => this.read(found));
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
