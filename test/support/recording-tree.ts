/** A tree in memory that records which files are read from it, for tests of what a load reads. */
import { MemoryTree } from '../../src/source/memory-tree.js';
import type { ReadBudget, RepoTree } from '../../src/source/tree.js';

export class RecordingTree implements RepoTree {
  readonly description = 'recording';
  readonly reads: string[] = [];
  private readonly inner: MemoryTree;

  /** `listable: false` makes `list` throw: a load from the last commit's must never list. */
  constructor(
    files: Record<string, string>,
    private readonly options: { listable?: boolean } = {},
  ) {
    this.inner = new MemoryTree(files);
  }

  list() {
    if (this.options.listable === false) throw new Error('listed');
    return this.inner.list();
  }

  read(paths: readonly string[]) {
    this.reads.push(...paths);
    return this.inner.read(paths);
  }

  readWithin(paths: readonly string[], budget: ReadBudget) {
    this.reads.push(...paths);
    return this.inner.readWithin(paths, budget);
  }

  close() {
    return this.inner.close();
  }
}
