/**
 * Validated jobs by the identity of the file they came from (its Git blob id), so an
 * unchanged job file is never parsed or validated twice: across commits in the daemon,
 * in memory, and across `plan` runs, in a file of the state directory. An entry also names
 * the templates its jobs extend, with their ids: it is used only while those are unchanged.
 * Only files that loaded without a problem are kept; rules across files (unique job keys,
 * known clusters) are checked on every load.
 *
 * The file is derived state anyone can edit, so an entry read from it is used only after
 * its blob id matches the tree's and each job's configuration hashes to the hash it was
 * cached with (cheap next to parsing); any other entry is dropped, its file read from Git
 * again, and one warning names the cache file. An entry rewritten consistently, config and
 * hash together, is not detectable without reading Git: the state directory is trusted as
 * far as the sandboxes in it are.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { replaceFile } from '../util/durable-file.js';
import { warn } from '../util/warnings.js';
import { canonicalJson, configHash } from './hash.js';
import { instanceConfig, jobId } from './normalise.js';
import type { ClusterConfig, JobConfig, JobSpec } from './types.js';

/** Bumped whenever what a spec holds, or how it is derived, changes. */
const FORMAT = 2;

interface CachedJob {
  config: JobConfig;
  configHash: string;
}

interface CachedFile {
  /** The templates the file's jobs extend, path → id. */
  templates: Record<string, string>;
  jobs: CachedJob[];
  /** The file's size: it counts towards a commit's bytes even when it is not read again. */
  bytes: number;
}

/** One path's entry in memory: its blob id, and the specs built once from it. */
interface Entry {
  id: string;
  file: CachedFile;
  specs?: readonly JobSpec[];
  /** Read from the cache file: used only once its jobs are checked against their hashes. */
  unverified?: true;
}

/** A valid `clusters.yaml` at one blob id: validating it would load and compile its schema. */
interface CachedClusters {
  path: string;
  id: string;
  clusters: ClusterConfig[];
  /** `digestOf(clusters)`, checked before an entry read from the file is used. */
  digest: string;
}

interface CacheDocument {
  format: number;
  /** What produced the entries: the Borealis version and schemas; a mismatch discards them. */
  producer: string;
  files: Record<string, CachedFile>;
  clusters?: CachedClusters;
}

const keyOf = (path: string, id: string) => `${path}\u0000${id}`;

/**
 * What validated the cached files: this Borealis's version and its schemas. Entries made
 * by anything else are discarded, since the same file could validate differently.
 */
export function currentProducer(): string {
  const root = new URL('../../../', import.meta.url);
  const { version } = JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as { version: string };
  const schemas = createHash('sha256');
  for (const name of ['job.schema.json', 'clusters.schema.json'])
    schemas.update(readFileSync(new URL(`schemas/${name}`, root)));
  return `borealis ${version} schemas ${schemas.digest('hex').slice(0, 16)} format ${FORMAT}`;
}

export class SpecCache {
  /** By path: a path has one id in a tree, and the entry for its previous id is not needed again. */
  private readonly files = new Map<string, Entry>();
  private clustersEntry: CachedClusters | undefined;
  private changed = false;
  /** The file the entries were read from, when they were: named once if one fails its check. */
  private source: { file: string; warned: boolean } | undefined;

  constructor(private readonly producer: string) {}

  /**
   * The jobs of `path` at `id`, if they were validated with the templates `ids` names now.
   * The same objects every time, so what is decided from an unchanged job can be kept too.
   */
  get(path: string, id: string, ids: ReadonlyMap<string, string>): readonly JobSpec[] | undefined {
    const entry = this.files.get(path);
    if (entry?.id !== id) return undefined;
    for (const template in entry.file.templates)
      if (ids.get(template) !== entry.file.templates[template]) return undefined;
    if (entry.unverified && !this.verify(path, entry)) return undefined;
    entry.specs ??= entry.file.jobs.map((job) => specOf(path, job));
    return entry.specs;
  }

  /** Whether an entry read from the file holds what was cached; drops it when not. */
  private verify(path: string, entry: Entry): boolean {
    const specs = verifiedSpecs(path, entry.file);
    if (specs) {
      delete entry.unverified;
      entry.specs = specs;
      return true;
    }
    this.files.delete(path);
    this.changed = true;
    this.warnOnce(path);
    return false;
  }

  private warnOnce(path: string): void {
    if (!this.source || this.source.warned) return;
    this.source.warned = true;
    warn(
      `spec cache ${this.source.file}: the entry for ${path} does not match its hash (edited or damaged); dropped, and read from Git again`,
    );
  }

  /** The templates the cached jobs of `path` extend. */
  templatesOf(path: string): string[] {
    const entry = this.files.get(path);
    return entry ? Object.keys(entry.file.templates) : [];
  }

  /** The size of the file at `path` when its jobs were cached (`get` says whether they still apply). */
  bytesOf(path: string): number {
    return this.files.get(path)?.file.bytes ?? 0;
  }

  set(
    path: string,
    id: string,
    entry: { templates: Record<string, string>; jobs: readonly JobSpec[]; bytes: number },
  ): void {
    const cached = entry.jobs.map((job) => ({ config: job.config, configHash: job.configHash }));
    const file = { templates: entry.templates, jobs: cached, bytes: entry.bytes };
    this.files.set(path, { id, file, specs: entry.jobs });
    this.changed = true;
  }

  /** The clusters of a `clusters.yaml` that validated at this id. */
  clusters(path: string, id: string): ClusterConfig[] | undefined {
    const entry = this.clustersEntry;
    if (entry?.path !== path || entry.id !== id) return undefined;
    if (entry.digest === digestOf(entry.clusters)) return entry.clusters;
    this.clustersEntry = undefined;
    this.changed = true;
    this.warnOnce(path);
    return undefined;
  }

  setClusters(path: string, id: string, clusters: ClusterConfig[]): void {
    this.clustersEntry = { path, id, clusters, digest: digestOf(clusters) };
    this.changed = true;
  }

  /** Forgets files no longer in the tree, so the cache does not grow with history. */
  keepOnly(current: ReadonlyMap<string, string>): void {
    for (const [path, entry] of this.files) {
      if (current.get(path) !== entry.id) {
        this.files.delete(path);
        this.changed = true;
      }
    }
  }

  static load(file: string, producer: string): SpecCache {
    const cache = new SpecCache(producer);
    try {
      // One synchronous read: Node 20's promise readFile decodes a large file in chunks, slower.
      const document = JSON.parse(readFileSync(file, 'utf8')) as CacheDocument;
      if (document.format === FORMAT && document.producer === producer) {
        for (const [key, file] of Object.entries(document.files)) {
          const [path = '', id = ''] = key.split('\u0000');
          cache.files.set(path, { id, file, unverified: true });
        }
        cache.clustersEntry = document.clusters;
        cache.source = { file, warned: false };
      }
    } catch (error) {
      // No cache yet, or one this Borealis cannot read: start empty; it is only a cache.
      cache.files.clear();
      cache.clustersEntry = undefined;
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
        warn(`spec cache ${file} is unreadable (${(error as Error).message}); rebuilt from Git`);
        cache.changed = true;
      }
    }
    return cache;
  }

  async save(file: string): Promise<void> {
    if (!this.changed) return;
    const document: CacheDocument = {
      format: FORMAT,
      producer: this.producer,
      files: Object.fromEntries([...this.files].map(([path, entry]) => [keyOf(path, entry.id), entry.file])),
      clusters: this.clustersEntry,
    };
    await mkdir(dirname(file), { recursive: true });
    await replaceFile(file, JSON.stringify(document));
    this.changed = false;
  }
}

function digestOf(clusters: readonly ClusterConfig[]): string {
  return createHash('sha256').update(canonicalJson(clusters)).digest('hex').slice(0, 16);
}

/** The specs of a cached file, or undefined when any job's config does not hash to its cached hash. */
function verifiedSpecs(path: string, file: CachedFile): JobSpec[] | undefined {
  try {
    const specs = file.jobs.map((job) => specOf(path, job));
    return specs.every((spec) => configHash(spec.instance) === spec.configHash) ? specs : undefined;
  } catch {
    return undefined; // not even the shape of a cached job
  }
}

function specOf(file: string, job: CachedJob): JobSpec {
  const { cluster, role, environment, name } = job.config;
  const key = { cluster, role, environment, name };
  return {
    id: jobId(key),
    key,
    file,
    config: job.config,
    instance: instanceConfig(job.config),
    configHash: job.configHash,
  };
}
