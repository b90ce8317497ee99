/**
 * Validated jobs by the identity of the file they came from (its Git blob id), so an
 * unchanged job file is never parsed or validated twice: across commits in the daemon,
 * in memory, and across `plan` runs, in a file of the state directory. An entry also names
 * the templates its jobs extend, with their ids: it is used only while those are unchanged.
 * Only files that loaded without a problem are kept; rules across files (unique job keys,
 * known clusters) are checked on every load.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { writeFileDurably } from '../util/durable-file.js';
import { instanceConfig, jobId } from './normalise.js';
import type { JobConfig, JobSpec } from './types.js';

/** Bumped whenever what a spec holds, or how it is derived, changes. */
const FORMAT = 1;

interface CachedJob {
  config: JobConfig;
  configHash: string;
}

interface CachedFile {
  /** The templates the file's jobs extend, path → id. */
  templates: Record<string, string>;
  jobs: CachedJob[];
}

interface CacheDocument {
  format: number;
  /** What produced the entries: the Borealis version and job schema; a mismatch discards them. */
  producer: string;
  files: Record<string, CachedFile>;
}

const keyOf = (path: string, id: string) => `${path}\u0000${id}`;

/**
 * What validated the cached jobs: this Borealis's version and its job schema. Entries made
 * by anything else are discarded, since the same file could validate differently.
 */
export function currentProducer(): string {
  const root = new URL('../../../', import.meta.url);
  const { version } = JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as { version: string };
  const schema = createHash('sha256')
    .update(readFileSync(new URL('schemas/job.schema.json', root)))
    .digest('hex');
  return `borealis ${version} job-schema ${schema.slice(0, 16)} format ${FORMAT}`;
}

export class SpecCache {
  private readonly files = new Map<string, CachedFile>();
  private changed = false;

  constructor(private readonly producer: string) {}

  /** The jobs of `path` at `id`, if they were validated with the templates `ids` names now. */
  get(path: string, id: string, ids: ReadonlyMap<string, string>): JobSpec[] | undefined {
    const entry = this.files.get(keyOf(path, id));
    if (!entry) return undefined;
    for (const [template, templateId] of Object.entries(entry.templates))
      if (ids.get(template) !== templateId) return undefined;
    return entry.jobs.map((job) => specOf(path, job));
  }

  set(path: string, id: string, templates: Record<string, string>, jobs: readonly JobSpec[]): void {
    const cached = jobs.map((job) => ({ config: job.config, configHash: job.configHash }));
    this.files.set(keyOf(path, id), { templates, jobs: cached });
    this.changed = true;
  }

  /** Forgets files no longer in the tree, so the cache does not grow with history. */
  keepOnly(current: ReadonlyMap<string, string>): void {
    for (const key of this.files.keys()) {
      const [path = '', id] = key.split('\u0000');
      if (current.get(path) !== id) {
        this.files.delete(key);
        this.changed = true;
      }
    }
  }

  static async load(file: string, producer: string): Promise<SpecCache> {
    const cache = new SpecCache(producer);
    try {
      const document = JSON.parse(await readFile(file, 'utf8')) as CacheDocument;
      if (document.format === FORMAT && document.producer === producer)
        for (const [key, entry] of Object.entries(document.files)) cache.files.set(key, entry);
    } catch {
      // No cache yet, or one this Borealis cannot read: start empty; it is only a cache.
    }
    return cache;
  }

  async save(file: string): Promise<void> {
    if (!this.changed) return;
    const document: CacheDocument = {
      format: FORMAT,
      producer: this.producer,
      files: Object.fromEntries(this.files),
    };
    await mkdir(dirname(file), { recursive: true });
    await writeFileDurably(file, JSON.stringify(document));
    this.changed = false;
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
