/**
 * The `--cluster`'s entry in clusters.yaml, which says what backend it is (the local
 * cluster or Mesos) and where it is. A backend is never chosen on a guess: only when there
 * is nothing to read (no repository here, no commit yet, no clusters.yaml at the job root)
 * is there no entry, and the local cluster is the default; a repository or a file that
 * cannot be read, or a clusters.yaml that is invalid, is an error.
 */
import { BorealisError } from '../../errors.js';
import { loadClusters } from '../../jobspec/clusters.js';
import type { ClusterConfig, Problem } from '../../jobspec/types.js';
import { GitTree } from '../../source/git-tree.js';
import type { TrackedSource } from '../../source/tracked.js';
import type { RepoTree } from '../../source/tree.js';
import type { GlobalOptions } from '../global-options.js';
import { nothingToRead, targetRef } from './repository.js';

const CLUSTERS_FILES = ['clusters.yaml', 'clusters.yml'];

/** What a tree's clusters.yaml says: nothing (there is none), its problems, or the clusters it declares. */
export type DeclaredClusters =
  | { kind: 'absent' }
  | { kind: 'invalid'; file: string; problems: Problem[] }
  | { kind: 'declared'; clusters: readonly ClusterConfig[] };

/** The named cluster among those declared; a cluster clusters.yaml does not declare is an error. */
export function clusterConfig(
  options: Pick<GlobalOptions, 'cluster'>,
  clusters: readonly ClusterConfig[],
): ClusterConfig {
  const found = clusters.find((cluster) => cluster.name === options.cluster);
  if (found) return found;
  const declared = clusters.map((c) => c.name).join(', ') || 'none';
  throw new BorealisError(
    'UNKNOWN_CLUSTER',
    `no cluster named "${options.cluster}" in clusters.yaml (declared: ${declared})`,
    { hint: 'choose a declared cluster with --cluster NAME' },
  );
}

/**
 * The cluster's entry in clusters.yaml at the branch head, for commands that look at a
 * cluster without deploying (`status`, `logs`, `local down`); undefined only when there
 * is nothing to read.
 */
export async function headClusterConfig(options: GlobalOptions): Promise<ClusterConfig | undefined> {
  try {
    return await readHeadClusterConfig(options);
  } catch (error) {
    // Asked only after a failure: a command on a healthy repository spends no Git call on it.
    if (await nothingToRead(options)) return undefined;
    throw error;
  }
}

async function readHeadClusterConfig(options: GlobalOptions): Promise<ClusterConfig | undefined> {
  const target = await targetRef(options, undefined);
  const tree = new GitTree({ repo: options.repo, ref: target, path: options.path });
  try {
    const declared = await declaredClusters(tree);
    if (declared.kind === 'absent') return undefined;
    if (declared.kind === 'invalid') throw invalidClusters(declared, tree.description);
    return clusterConfig(options, declared.clusters);
  } finally {
    await tree.close();
  }
}

/**
 * The cluster's entry that `reconcile` and `watch` open their backend with: the branch
 * head's. A head whose clusters.yaml is invalid is never deployed, so the reconciler goes
 * on with the commit it last applied, and that commit's entry says which backend it runs
 * on: guessing the local cluster would heal a Mesos cluster's jobs onto this machine. With
 * nothing applied yet there is nothing to go on with, and the invalid file is the error.
 */
export async function deployClusterConfig(
  source: TrackedSource,
  appliedCommit: () => Promise<string | undefined>,
  options: Pick<GlobalOptions, 'cluster'>,
): Promise<ClusterConfig | undefined> {
  const head = await source.head();
  const atHead = await declaredAt(source, head);
  if (atHead.kind === 'absent') return undefined;
  if (atHead.kind === 'declared') return clusterConfig(options, atHead.clusters);
  const applied = await appliedCommit();
  const atApplied = applied === undefined ? undefined : await declaredAt(source, applied);
  if (atApplied?.kind === 'declared') return clusterConfig(options, atApplied.clusters);
  throw invalidClusters(atHead, `the branch head ${head.slice(0, 12)}`);
}

async function declaredAt(source: TrackedSource, commit: string): Promise<DeclaredClusters> {
  const tree = source.tree(commit);
  try {
    return await declaredClusters(tree);
  } finally {
    await tree.close();
  }
}

/** What the tree's clusters.yaml says; a tree or a file Git cannot read is SOURCE_UNREADABLE. */
export async function declaredClusters(tree: RepoTree): Promise<DeclaredClusters> {
  try {
    return await readDeclaredClusters(tree);
  } catch (error) {
    throw unreadable(error, tree.description);
  }
}

/** A clusters.yaml the tree lists but whose contents Git cannot give is unreadable, not absent. */
async function readDeclaredClusters(tree: RepoTree): Promise<DeclaredClusters> {
  const listed = new Set((await tree.list()).map((entry) => entry.path));
  const file = CLUSTERS_FILES.find((name) => listed.has(name));
  if (file === undefined) return { kind: 'absent' };
  const text = (await tree.read([file])).get(file);
  if (text === undefined) throw new Error(`${file} is in the tree but Git cannot read its contents`);
  const loaded = loadClusters(file, text);
  return loaded.valid
    ? { kind: 'declared', clusters: loaded.clusters }
    : { kind: 'invalid', file, problems: loaded.problems };
}

function unreadable(error: unknown, what: string): BorealisError {
  if (error instanceof BorealisError) return error;
  return new BorealisError(
    'SOURCE_UNREADABLE',
    `cannot read clusters.yaml at ${what}: ${(error as Error).message}`,
    {
      cause: error,
      hint: 'check the repository with git fsck; the cluster backend is not guessed without clusters.yaml',
    },
  );
}

function invalidClusters(declared: { file: string; problems: Problem[] }, where: string): BorealisError {
  const [first] = declared.problems;
  const at = first ? `${first.file}:${first.line}:${first.column}: ${first.message}` : declared.file;
  const more = declared.problems.length > 1 ? ` (and ${declared.problems.length - 1} more)` : '';
  return new BorealisError('CLUSTERS_INVALID', `clusters.yaml at ${where} is invalid: ${at}${more}`, {
    hint: 'borealis validate lists its problems; commit a fixed clusters.yaml',
  });
}
