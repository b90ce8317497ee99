/**
 * Commits' jobs as the daemon loads them, one commit after another. Each load starts from
 * the last clean one: the trees of the two commits are compared and only the job files
 * that changed are read and checked, so a one-job commit in a large repository costs one
 * file, not a listing and a cache lookup per job. Anything a partial load cannot
 * answer exactly (files added or removed, a template or clusters.yaml changed, a problem)
 * is loaded in full.
 */
import type { TrackedSource } from '../source/tracked.js';
import { loadChanged, loadTree, type LoadBase, type LoadOptions, type LoadResult } from '../jobspec/load.js';
import type { LoadedRepository } from '../jobspec/types.js';

export class CommitLoader {
  private last: { commit: string; base: LoadBase } | undefined;

  constructor(
    private readonly source: TrackedSource,
    private readonly options: LoadOptions = {},
  ) {}

  /** The jobs of a commit named by its full id. */
  async load(commit: string): Promise<LoadedRepository> {
    const result = (await this.fromLast(commit)) ?? (await this.full(commit));
    if (result.base) this.last = { commit, base: result.base };
    return result.repository;
  }

  private async fromLast(commit: string): Promise<LoadResult | undefined> {
    const last = this.last;
    if (!last) return undefined;
    if (last.commit === commit) return { repository: last.base.repository, base: last.base };
    try {
      const changes = await this.source.changedFiles(last.commit, commit);
      if (!changes) return undefined;
      const open = (files: ReadonlyMap<string, string>) => this.source.tree(commit, files);
      return await loadChanged(last.base, changes, open, this.options);
    } catch {
      return undefined; // whatever the comparison could not tell, a full load will
    }
  }

  private async full(commit: string): Promise<LoadResult> {
    const tree = this.source.tree(commit);
    return loadTree(tree, this.options).finally(() => tree.close());
  }
}
