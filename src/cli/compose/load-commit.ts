/**
 * A commit's jobs, validated: the branch head, a `--ref`, or the uncommitted work tree.
 * Validated specs are cached by Git blob id in this machine's directory, so a file that
 * did not change is not validated again.
 */
import { BorealisError } from '../../errors.js';
import { loadRepository } from '../../jobspec/load.js';
import { currentProducer, SpecCache } from '../../jobspec/spec-cache.js';
import type { LoadedRepository } from '../../jobspec/types.js';
import { GitTree } from '../../source/git-tree.js';
import type { RepoTree } from '../../source/tree.js';
import { WorkingTree, type UncommittedChanges } from '../../source/working-tree.js';
import type { GlobalOptions } from '../global-options.js';
import { specCacheFile } from './local-dir.js';
import { targetRef } from './repository.js';

export interface LoadedCommit {
  commit: string;
  ref: string;
  repository: LoadedRepository;
}

/** The branch head (or `ref`) of the tracked repository, validated; specs are cached in the state directory. */
export async function loadCommit(options: GlobalOptions, ref?: string): Promise<LoadedCommit> {
  const target = await targetRef(options, ref);
  const tree = new GitTree({ repo: options.repo, ref: target, path: options.path });
  return loadFrom(options, tree, target, () => tree.commit());
}

/**
 * The job root as it is in the work tree, validated. The cache is keyed by Git blob ids,
 * which the working tree's files have too, so its entries stay true for any commit.
 */
export async function loadWorkingTree(
  options: GlobalOptions,
  changes: UncommittedChanges,
): Promise<LoadedCommit> {
  const tree = new WorkingTree(changes);
  return loadFrom(options, tree, 'the working tree', () => Promise.resolve(changes.baseCommit));
}

/** The spec cache of the state directory: validated jobs by file id, shared by plan and reconcile. */
export function openSpecCache(options: Pick<GlobalOptions, 'state' | 'home'>): {
  cache: SpecCache;
  save(): Promise<void>;
} {
  const file = specCacheFile(options);
  const cache = SpecCache.load(file, currentProducer());
  // A cache that cannot be written only makes the next run slower.
  return { cache, save: () => cache.save(file).catch(() => undefined) };
}

async function loadFrom(
  options: GlobalOptions,
  tree: RepoTree,
  target: string,
  commit: () => Promise<string>,
): Promise<LoadedCommit> {
  const specs = openSpecCache(options);
  try {
    const repository = await loadRepository(tree, { cache: specs.cache, limits: options.limits });
    await specs.save();
    return { commit: await commit(), ref: target, repository };
  } catch (error) {
    if (error instanceof BorealisError) throw error;
    throw new BorealisError(
      'SOURCE_UNREADABLE',
      `cannot read ${target} of ${options.repo}: ${(error as Error).message}`,
      { cause: error },
    );
  } finally {
    await tree.close();
  }
}
