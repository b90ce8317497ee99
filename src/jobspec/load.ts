/**
 * Reads a job repository (a directory or one commit) into validated `JobSpec`s.
 * Every problem in every file is collected; a repository with any problem is invalid as a
 * whole, and callers must apply nothing from it.
 */
import type { FileChange } from '../source/tree-diff.js';
import type { BoundedContents, RepoTree, TreeEntry } from '../source/tree.js';
import { cloneJson } from '../util/clone-json.js';
import {
  isPlainObject,
  locateInChain,
  valueAt,
  resolveExtends,
  type Location,
  type MergedJob,
} from './extends.js';
import { jobId, normaliseJob } from './normalise.js';
import { checkRules, overlaps } from './rules.js';
import { validateJobValue, type SchemaProblem } from './schema.js';
import { withValueProblems } from './value-checks.js';
import { loadClusters, maxInstancesPerJob, type LoadedClusters } from './clusters.js';
import {
  DEFAULT_LOAD_LIMITS,
  formatBytes,
  MAX_PROBLEM_CHARS,
  MAX_PROBLEM_PATH_CHARS,
  MAX_PROBLEMS_PER_COMMIT,
  MAX_PROBLEMS_PER_FILE,
  LOAD_SLICE_MS,
  shorten,
  type LoadLimits,
} from './limits.js';
import type { ClusterConfig, JobSpec, LoadedRepository, Problem } from './types.js';
import type { WrittenJob } from './written.js';
import type { SpecCache } from './spec-cache.js';
import {
  formatPath,
  parseYamlFile,
  type FieldPath,
  type FileContent,
  type ParsedFile,
  type SourceDocument,
} from './yaml.js';

const JOB_FILE = /^jobs\/.+\.ya?ml$/;
const CLUSTERS_FILES = ['clusters.yaml', 'clusters.yml'];

export interface LoadOptions {
  /** Jobs already validated, by file id: an unchanged file is taken from here, not parsed again. */
  cache?: SpecCache;
  /** Where each job file is loaded (a worker thread); by default on this thread. */
  runner?: FileLoadRunner;
  /** What one file and one commit may weigh; by default `DEFAULT_LOAD_LIMITS`. */
  limits?: LoadLimits;
}

export async function loadRepository(tree: RepoTree, options: LoadOptions = {}): Promise<LoadedRepository> {
  return (await loadTree(tree, options)).repository;
}

/**
 * What a clean load leaves for the load of a later commit to start from: that load reads
 * and checks only the files the commit changed (`loadChanged`).
 */
export interface LoadBase {
  repository: LoadedRepository;
  /** Every file under the job root, path → blob id. */
  ids: ReadonlyMap<string, string>;
  /** The job files, in the order their jobs are listed. */
  jobFiles: readonly string[];
  /** Each job file's size; their sum is what the commit limit bounds. */
  jobBytes: ReadonlyMap<string, number>;
  jobsByFile: ReadonlyMap<string, readonly JobSpec[]>;
  /** Every file some job extends or a symbolic link reads as: a change to one needs a full load. */
  templates: ReadonlySet<string>;
  clustersValid: boolean;
}

export interface LoadResult {
  repository: LoadedRepository;
  /** Only for a load without problems. */
  base?: LoadBase;
}

/** Every file of the tree, through the cache when there is one. */
export async function loadTree(tree: RepoTree, options: LoadOptions = {}): Promise<LoadResult> {
  const listed = await tree.list();
  const entries = listed.filter((entry) => entry.problem === undefined);
  const ids = new Map(entries.map((entry) => [entry.path, entry.id]));
  const jobFiles = entries.map((entry) => entry.path).filter((path) => JOB_FILE.test(path));
  const clustersFile = CLUSTERS_FILES.find((path) => ids.has(path));
  const limits = options.limits ?? DEFAULT_LOAD_LIMITS;
  const cached = new Map<string, readonly JobSpec[]>();
  const jobBytes = new Map<string, number>();
  for (const path of jobFiles) {
    const hit = options.cache?.get(path, ids.get(path)!, ids);
    const bytes = hit ? options.cache!.bytesOf(path) : 0;
    if (!hit || bytes > limits.maxFileBytes) continue;
    cached.set(path, hit);
    jobBytes.set(path, bytes);
  }
  const toRead = jobFiles.filter((path) => !cached.has(path));
  const files = new FileLoader(tree, ids, options.cache, limits, options.runner);
  const cachedBytes = sum(jobBytes.values());
  const contents = await tree.readWithin(toRead, {
    maxEach: limits.maxFileBytes,
    remaining: limits.maxCommitBytes - cachedBytes,
  });
  for (const [path, bytes] of contents.bytes) jobBytes.set(path, bytes);
  files.problems.push(...tooLargeProblems(contents, cachedBytes, limits));
  files.problems.push(...linkProblems(listed));

  const cachedClusters = clustersFile && options.cache?.clusters(clustersFile, ids.get(clustersFile)!);
  const clusters: LoadedClusters = cachedClusters
    ? { clusters: cachedClusters, valid: true, problems: [] }
    : await files.loadClusters(clustersFile);
  files.problems.push(...clusters.problems);
  if (clustersFile && !cachedClusters && clusters.valid)
    options.cache?.setClusters(clustersFile, ids.get(clustersFile)!, clusters.clusters);

  const loaded = await files.loadAll(contents.blobs);
  const jobsByFile = new Map<string, readonly JobSpec[]>();
  for (const path of jobFiles) jobsByFile.set(path, cached.get(path) ?? loaded.get(path) ?? []);
  const jobs = jobFiles.flatMap((path) => jobsByFile.get(path)!);
  // Jobs with problems take part in the rules across files too, when their keys are valid.
  const identified = jobFiles.flatMap<JobIdentity>(
    (path) => files.identities.get(path) ?? jobsByFile.get(path)!,
  );
  options.cache?.keepOnly(ids);
  const problems = files.problems;
  const rules = repositoryRules(clusters.clusters, clusters.valid);
  problems.push(...(await repositoryProblems(identified, files.locator(cached), rules)));
  const repository = { clusters: clusters.clusters, jobs, problems: boundProblems(dedupeProblems(problems)) };
  if (problems.length > 0) return { repository };
  const templates = new Set(files.templates);
  // A link reads as its file: a change to that file changes the link's jobs too, which only a full load sees.
  for (const entry of entries) if (entry.linkTo !== undefined) templates.add(entry.linkTo);
  for (const path of cached.keys())
    for (const template of options.cache!.templatesOf(path)) templates.add(template);
  return {
    repository,
    base: { repository, ids, jobFiles, jobBytes, jobsByFile, templates, clustersValid: clusters.valid },
  };
}

/**
 * A commit's load from the last clean load's, when the commit only changed job files that
 * no job extends: those files are read and checked, every other job is the last load's
 * object. Undefined when the changes need a full load (files added or removed, a template
 * or `clusters.yaml` changed, or a changed file has any problem, which a full load reports
 * with its place), so what it returns is always what `loadTree` would.
 */
export async function loadChanged(
  base: LoadBase,
  changes: readonly FileChange[],
  openTree: (files: ReadonlyMap<string, string>) => RepoTree,
  options: LoadOptions = {},
): Promise<LoadResult | undefined> {
  const editsOnly = changes.every(
    ({ path, id }) => id !== null && base.ids.has(path) && JOB_FILE.test(path) && !base.templates.has(path),
  );
  if (!editsOnly) return undefined;
  if (changes.length === 0) return { repository: base.repository, base };
  const ids = new Map(base.ids);
  for (const { path, id } of changes) ids.set(path, id!);
  const tree = openTree(ids);
  try {
    return await loadEdits(tree, base, ids, changes, options);
  } finally {
    await tree.close();
  }
}

async function loadEdits(
  tree: RepoTree,
  base: LoadBase,
  ids: ReadonlyMap<string, string>,
  changes: readonly FileChange[],
  options: LoadOptions,
): Promise<LoadResult | undefined> {
  const limits = options.limits ?? DEFAULT_LOAD_LIMITS;
  const files = new FileLoader(tree, ids, options.cache, limits, options.runner);
  const jobBytes = new Map(base.jobBytes);
  for (const { path } of changes) jobBytes.delete(path);
  const contents = await tree.readWithin(
    changes.map((change) => change.path),
    { maxEach: limits.maxFileBytes, remaining: limits.maxCommitBytes - sum(jobBytes.values()) },
  );
  // An oversized file is reported, with the limit it broke, by the full load.
  if (contents.tooLarge.size > 0) return undefined;
  for (const [path, bytes] of contents.bytes) jobBytes.set(path, bytes);
  const fresh = new Map<string, readonly JobSpec[]>();
  const toLoad = new Map<string, FileContent>();
  for (const { path, id } of changes) {
    const hit = options.cache?.get(path, id!, ids);
    if (hit) fresh.set(path, hit);
    else toLoad.set(path, contents.blobs.get(path) ?? '');
    if (hit) files.templates.push(...options.cache!.templatesOf(path));
  }
  for (const [path, jobs] of await files.loadAll(toLoad)) fresh.set(path, jobs);
  if (files.problems.length > 0) return undefined;
  const jobsByFile = new Map(base.jobsByFile);
  for (const [path, jobs] of fresh) jobsByFile.set(path, jobs);
  const jobs = base.jobFiles.flatMap((path) => jobsByFile.get(path)!);
  const rules = repositoryRules(base.repository.clusters, base.clustersValid);
  // Every other job passed these rules in the last load, so unless a key moved only the
  // changed files' jobs can break them (hashing every id again costs O(jobs) per commit).
  const keysMoved = [...fresh].some(([path, fileJobs]) => !sameIds(base.jobsByFile.get(path)!, fileJobs));
  const checked = keysMoved ? jobs : [...fresh.values()].flat();
  // A rule broken across files is reported, with its places, by the full load.
  if (!repositoryBreaches(checked, rules).next().done) return undefined;
  const repository = { clusters: base.repository.clusters, jobs, problems: [] };
  const templates = new Set([...base.templates, ...files.templates]);
  return { repository, base: { ...base, repository, ids, jobBytes, jobsByFile, templates } };
}

/** What loading one job file gave: its jobs, its problems, and what a later problem needs. */
export interface FileOutcome {
  jobs: JobSpec[];
  /** The file's problems, and those of each template first read for it. */
  problems: Problem[];
  /** Each job whose key fields are valid (the job itself when it has no problem), with its document. */
  identities: { identity: JobIdentity; index: number }[];
  /** The templates its jobs extend. */
  templates: string[];
}

/** A template's text, or the problems (its size) that kept it from being read. */
export interface TemplateText {
  text?: FileContent;
  problems: Problem[];
}

/**
 * Where one file's parse, merge and validation run instead of this thread (a worker, in
 * the daemon: `reconciler/off-thread.ts`). Templates are read through `template`, on the
 * caller's side. Rejects with `LoadBudgetExceeded` when the file cannot be loaded within
 * the load's deadline or memory.
 */
export interface FileLoadRunner {
  /** How long one load may take, in ms. */
  readonly timeBudgetMs: number;
  run(
    path: string,
    text: FileContent,
    template: (path: string) => Promise<TemplateText | null>,
    deadline: number,
  ): Promise<FileOutcome>;
}

/** A load stopped because it took longer, or needed more memory, than it may. */
export class LoadBudgetExceeded extends Error {
  /** @param file the file being loaded when it stopped, when known */
  constructor(
    message: string,
    readonly file?: string,
  ) {
    super(message);
  }
}

/** One job file's documents, each merged with its templates, validated and normalised. */
export async function loadFileText(
  path: string,
  text: FileContent,
  loadTemplate: (path: string) => Promise<ParsedFile | null>,
): Promise<FileOutcome> {
  const parsed = parseYamlFile(path, text);
  const outcome: FileOutcome = { jobs: [], problems: [...parsed.problems], identities: [], templates: [] };
  const recording = (template: string) => {
    outcome.templates.push(template);
    return loadTemplate(template);
  };
  for (const [index, document] of parsed.documents.entries()) {
    const { job, identity } = await loadDocument(document, recording, outcome.problems);
    if (job) outcome.jobs.push(job);
    if (identity) outcome.identities.push({ identity, index });
  }
  return outcome;
}

/** A template as its jobs see it: parsed, or (too large to read) only its problems. */
export function templateFile(path: string, found: TemplateText): ParsedFile {
  if (found.text === undefined) return { documents: [], problems: found.problems };
  const file = parseYamlFile(path, found.text);
  return { documents: file.documents, problems: [...found.problems, ...file.problems] };
}

/** Job files parsed, merged with their templates and validated, collecting every problem. */
class FileLoader {
  readonly problems: Problem[] = [];
  /** The templates the loaded files extend. */
  readonly templates: string[] = [];
  /** Each loaded file's jobs whose keys are valid, with problems or without, in document order. */
  readonly identities = new Map<string, JobIdentity[]>();
  /** The document each freshly loaded job came from; a cached file's jobs are its documents in order. */
  private readonly documentIndex = new Map<JobIdentity, number>();
  // Templates are kept for the jobs that extend them; a job file's parse is dropped once its
  // jobs are built, so a large repository is never all in memory as YAML at once.
  private readonly parsed = new Map<string, ParsedFile>();
  private readonly slices = new Slices();
  /** Set once a file broke the time or memory budget: the rest of the commit is not loaded. */
  private stopped = false;
  private readonly runner: FileLoadRunner | undefined;
  /** When the load must be done by, on the clock of `performance.now()` (with a runner only). */
  private readonly deadline: number;

  constructor(
    private readonly tree: RepoTree,
    private readonly ids: ReadonlyMap<string, string>,
    private readonly cache: SpecCache | undefined,
    private readonly limits: LoadLimits,
    runner?: FileLoadRunner,
  ) {
    this.runner = runner;
    this.deadline = performance.now() + (runner?.timeBudgetMs ?? Infinity);
  }

  /** clusters.yaml, read within the limit of one file. */
  async loadClusters(path: string | undefined): Promise<LoadedClusters> {
    if (path === undefined) return loadClusters(undefined, undefined);
    const { text, problems } = await this.readOne(path);
    return problems.length > 0 ? { clusters: [], valid: false, problems } : loadClusters(path, text);
  }

  /**
   * Job files' jobs, by path. On this thread one after another, so that the event loop
   * gets its turns; with a runner all are sent at once, and the runner works through them
   * while this thread waits for nothing.
   */
  async loadAll(texts: ReadonlyMap<string, FileContent>): Promise<Map<string, readonly JobSpec[]>> {
    const loaded = new Map<string, readonly JobSpec[]>();
    if (this.runner) {
      const all = [...texts].map(async ([path, text]) => loaded.set(path, await this.load(path, text)));
      await Promise.all(all);
    } else for (const [path, text] of texts) loaded.set(path, await this.load(path, text));
    return loaded;
  }

  /** One job file's jobs; kept in the cache when the file has no problem. */
  private async load(path: string, text: FileContent): Promise<readonly JobSpec[]> {
    if (this.stopped) return [];
    const before = this.problems.length;
    let outcome: FileOutcome;
    try {
      outcome = this.runner
        ? await this.runner.run(path, text, (template) => this.templateText(template), this.deadline)
        : await loadFileText(path, text, (template) => this.loadTemplate(template));
    } catch (error) {
      if (!(error instanceof LoadBudgetExceeded)) throw error;
      // The rest of the commit is not loaded: it is rejected already, and would cost as much.
      if (this.stopped) return [];
      this.stopped = true;
      this.problems.push({ file: error.file ?? path, line: 1, column: 1, path: '', message: error.message });
      return [];
    }
    this.problems.push(...outcome.problems);
    const templates: Record<string, string> = {};
    for (const template of outcome.templates) templates[template] = this.ids.get(template) ?? '';
    this.templates.push(...outcome.templates);
    for (const { identity, index } of outcome.identities) this.documentIndex.set(identity, index);
    this.identities.set(
      path,
      outcome.identities.map(({ identity }) => identity),
    );
    if (this.problems.length === before)
      this.cache?.set(path, this.ids.get(path)!, {
        templates,
        jobs: outcome.jobs,
        bytes: Buffer.byteLength(text),
      });
    await this.slices.breathe();
    return outcome.jobs;
  }

  /**
   * Where a job's name and cluster are written. Found again from the file only if a
   * repository problem asks: holding every job's merged documents (or even a closure per
   * job) until then would cost every load for a rare error.
   */
  locator(cached: ReadonlyMap<string, readonly JobSpec[]>): (job: JobIdentity) => Promise<KeyLocations> {
    return (job) =>
      locateCached(
        this.tree,
        job.file,
        this.documentIndex.get(job) ?? cached.get(job.file)?.findIndex((spec) => spec === job) ?? 0,
        (path) => this.loadTemplate(path),
      );
  }

  private async loadTemplate(path: string): Promise<ParsedFile | null> {
    const known = this.parsed.get(path);
    if (known) return known;
    const found = await this.templateText(path);
    if (!found) return null;
    const file = templateFile(path, found);
    this.problems.push(...file.problems);
    this.parsed.set(path, file);
    return file;
  }

  /** A template's text, or the problem that it is too large; null when there is no such file. */
  private async templateText(path: string): Promise<TemplateText | null> {
    if (!this.ids.has(path)) return null;
    const found = await this.readOne(path);
    return found.text === undefined && found.problems.length === 0 ? null : found;
  }

  /** One file's text, or the problem that it is larger than a file may be. */
  private async readOne(path: string): Promise<{ text?: FileContent; problems: Problem[] }> {
    const budget = { maxEach: this.limits.maxFileBytes, remaining: this.limits.maxFileBytes };
    const found = await this.tree.readWithin([path], budget);
    return { text: found.blobs.get(path), problems: tooLargeProblems(found, 0, this.limits) };
  }
}

/**
 * Each file over the limit of one file, and the first file past the commit's limit (the
 * files after it were not read either, and are not blamed).
 */
function tooLargeProblems(found: BoundedContents, counted: number, limits: LoadLimits): Problem[] {
  const problems: Problem[] = [];
  const at = (file: string, message: string): Problem => ({ file, line: 1, column: 1, path: '', message });
  const total = counted + sum(found.bytes.values());
  let commitBlamed = false;
  for (const [file, bytes] of found.tooLarge) {
    if (bytes > limits.maxFileBytes) {
      const message = `this file is ${formatBytes(bytes)}, more than the limit of ${formatBytes(limits.maxFileBytes)} per file (--max-file-size); it was not read`;
      problems.push(at(file, message));
    } else if (!commitBlamed) {
      commitBlamed = true;
      const message = `the commit's job files add up to ${formatBytes(total)}, more than the limit of ${formatBytes(limits.maxCommitBytes)} per commit (--max-commit-size); this file and later ones were not read`;
      problems.push(at(file, message));
    }
  }
  return problems;
}

/**
 * A load of thousands of files takes seconds of CPU. Between files, once a slice of time
 * is used, the event loop gets a turn: the daemon's HTTP server and timers keep answering.
 */
class Slices {
  private since = performance.now();

  async breathe(): Promise<void> {
    if (performance.now() - this.since < LOAD_SLICE_MS) return;
    await new Promise((resolve) => setImmediate(resolve));
    this.since = performance.now();
  }
}

function sum(values: Iterable<number>): number {
  let total = 0;
  for (const value of values) total += value;
  return total;
}

/** The symbolic links a tree could not follow, each a problem of its own path. */
function linkProblems(entries: readonly TreeEntry[]): Problem[] {
  return entries.flatMap(({ path, problem }) =>
    problem === undefined ? [] : [{ file: path, line: 1, column: 1, path: '', message: problem }],
  );
}

function sameIds(before: readonly JobSpec[], after: readonly JobSpec[]): boolean {
  return before.length === after.length && before.every((job, index) => job.id === after[index]!.id);
}

/**
 * A job's key and file, and the counts its cluster limits: enough for the rules across files,
 * even when the job has problems (a count the schema rejected is left out).
 */
export type JobIdentity = Pick<JobSpec, 'id' | 'key' | 'file'> & { counts?: LimitedCounts };

/** The fields a cluster's `limits.max_instances_per_job` caps, by their path in the job. */
const LIMITED_FIELDS = [['instances'], ['update_config', 'batch_size']] as const;
type LimitedCounts = Partial<Record<string, number>>;

function countsOf(job: JobIdentity): LimitedCounts {
  if (!('config' in job)) return job.counts ?? {};
  const { config } = job as JobSpec; // a valid job: its config keeps the fields' names and paths
  return Object.fromEntries(
    LIMITED_FIELDS.map((field) => [formatPath(field), valueAt(config, field) as number]),
  );
}

interface LoadedDocument {
  /** The job, when it has no problem. */
  job?: JobSpec;
  /** The job's key, when its key fields are valid; the job itself when it has no problem. */
  identity?: JobIdentity;
}

/** One job document: a map, merged with its templates, validated and normalised. */
async function loadDocument(
  document: SourceDocument,
  loadTemplate: (path: string) => Promise<ParsedFile | null>,
  problems: Problem[],
): Promise<LoadedDocument> {
  if (!isPlainObject(document.value)) {
    const { line, column } = document.locate([]) ?? { line: 1, column: 1 };
    problems.push({
      file: document.file,
      line,
      column,
      path: '',
      message: 'a job document must be a map of job fields',
    });
    return {};
  }
  const { merged, problems: extendsProblems } = await resolveExtends(document, loadTemplate);
  problems.push(...extendsProblems);
  if (!merged) return {};
  const loaded = loadJob(merged);
  problems.push(...loaded.problems);
  return { job: loaded.job, identity: loaded.job ?? loaded.identity };
}

/** Where a job's name and cluster are written: its file is read and merged again, as only a problem asks. */
async function locateCached(
  tree: RepoTree,
  path: string,
  index: number,
  loadTemplate: (path: string) => Promise<ParsedFile | null>,
): Promise<KeyLocations> {
  const text = (await tree.read([path])).get(path) ?? '';
  const document = parseYamlFile(path, text).documents[index];
  const merged = document ? (await resolveExtends(document, loadTemplate)).merged : undefined;
  return (field) =>
    merged ? locateInChain(merged.chain, field, 'value') : { file: path, line: 1, column: 1 };
}

/** Where a field of one job is written. */
type KeyLocations = (field: FieldPath) => Location;

/**
 * Schema, then rules, then normalisation: each rule runs on the fields the schema accepted,
 * normalisation only on a job without any problem.
 */
function loadJob(merged: MergedJob): { job?: JobSpec; identity?: JobIdentity; problems: Problem[] } {
  const value = cloneJson(merged.value); // validation fills defaults in; templates are shared
  const toProblems = (found: SchemaProblem[]): Problem[] =>
    found.map(({ path, at, message }) => {
      const { file, line, column } = locateInChain(merged.chain, path, at);
      return { file, line, column, path: formatPath(path), message };
    });
  const schemaProblems = withValueProblems(validateJobValue(value), value);
  const rejected = schemaProblems.map((problem) => problem.path);
  const written = value as unknown as WrittenJob;
  const problems = toProblems([...schemaProblems, ...checkRules(written, rejected)]);
  if (problems.length > 0) return { identity: identityOf(value, merged.file, rejected), problems };
  return { job: normaliseJob(written, merged.file), problems: [] };
}

const KEY_FIELDS = ['cluster', 'role', 'environment', 'name'] as const;

/** The job's key, if the schema accepted every field of it. */
function identityOf(
  value: Record<string, unknown>,
  file: string,
  rejected: readonly (string | number)[][],
): JobIdentity | undefined {
  const valid = (field: string) =>
    typeof value[field] === 'string' && !rejected.some((path) => path.length === 0 || path[0] === field);
  if (!KEY_FIELDS.every(valid)) return undefined;
  const [cluster, role, environment, name] = KEY_FIELDS.map((field) => value[field] as string) as [
    string,
    string,
    string,
    string,
  ];
  const key = { cluster, role, environment, name };
  const counts: LimitedCounts = {};
  for (const field of LIMITED_FIELDS) {
    const count = valueAt(value, field);
    if (typeof count === 'number' && !rejected.some((path) => overlaps(path, field)))
      counts[formatPath(field)] = count;
  }
  return { id: jobId(key), key, file, counts };
}

/** The rules across files, as `repositoryProblems` reports them and a partial load checks them. */
interface RepositoryRules {
  clusterNames: ReadonlySet<string>;
  /** Only a valid clusters.yaml can say a cluster is unknown. */
  clustersValid: boolean;
  /** Each cluster's `limits.max_instances_per_job`. */
  instanceLimits: ReadonlyMap<string, number>;
}

function repositoryRules(clusters: readonly ClusterConfig[], clustersValid: boolean): RepositoryRules {
  return {
    clusterNames: new Set(clusters.map((cluster) => cluster.name)),
    clustersValid,
    instanceLimits: new Map(clusters.map((cluster) => [cluster.name, maxInstancesPerJob(cluster)])),
  };
}

type Breach =
  | { job: JobIdentity; rule: 'duplicate'; first: JobIdentity }
  | { job: JobIdentity; rule: 'cluster' }
  | { job: JobIdentity; rule: 'limit'; field: FieldPath; value: number; limit: number };

/**
 * Each job that repeats an earlier job's key, names a cluster clusters.yaml does not, or
 * exceeds its cluster's limits, in job order.
 */
function* repositoryBreaches(jobs: readonly JobIdentity[], rules: RepositoryRules): Generator<Breach> {
  const firstById = new Map<string, JobIdentity>();
  for (const job of jobs) {
    const first = firstById.get(job.id);
    if (first) yield { job, rule: 'duplicate', first };
    else firstById.set(job.id, job);
    if (rules.clustersValid && !rules.clusterNames.has(job.key.cluster)) yield { job, rule: 'cluster' };
    yield* limitBreaches(job, rules.instanceLimits.get(job.key.cluster));
  }
}

function* limitBreaches(job: JobIdentity, limit: number | undefined): Generator<Breach> {
  if (limit === undefined) return;
  const counts = countsOf(job);
  for (const field of LIMITED_FIELDS) {
    const value = counts[formatPath(field)];
    if (value !== undefined && value > limit) yield { job, rule: 'limit', field, value, limit };
  }
}

async function repositoryProblems(
  jobs: readonly JobIdentity[],
  locate: (job: JobIdentity) => Promise<KeyLocations>,
  rules: RepositoryRules,
): Promise<Problem[]> {
  const problems: Problem[] = [];
  for (const breach of repositoryBreaches(jobs, rules)) {
    const { job } = breach;
    if (breach.rule === 'duplicate') {
      const earlier = (await locate(breach.first))(['name']);
      problems.push({
        ...(await locate(job))(['name']),
        path: 'name',
        message: `job ${job.id} is already declared at ${earlier.file}:${earlier.line}; job keys (cluster/role/environment/name) must be unique`,
      });
    } else if (breach.rule === 'limit') {
      problems.push({
        ...(await locate(job))(breach.field),
        path: formatPath(breach.field),
        message: `must be at most ${breach.limit}, the limits.max_instances_per_job of cluster "${job.key.cluster}" in clusters.yaml (got ${breach.value})`,
      });
    } else {
      problems.push({
        ...(await locate(job))(['cluster']),
        path: 'cluster',
        message: `no cluster named "${job.key.cluster}" in clusters.yaml (declared: ${[...rules.clusterNames].join(', ') || 'none'})`,
      });
    }
  }
  return problems;
}

/** A template shared by several jobs would otherwise report its own mistake once per job. */
function dedupeProblems(problems: Problem[]): Problem[] {
  const seen = new Set<string>();
  return problems.filter((problem) => {
    const key = JSON.stringify([problem.file, problem.line, problem.column, problem.path, problem.message]);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * Problems as they are reported: sorted, each key or value in them cut to a bounded length,
 * at most `MAX_PROBLEMS_PER_FILE` per file and `MAX_PROBLEMS_PER_COMMIT` in all, each cut
 * counted in one more line. A hostile file must not turn into megabytes of output or record.
 */
export function boundProblems(problems: Problem[]): Problem[] {
  const sorted = sortProblems(problems);
  const lines: { problem: Problem; counts: number }[] = [];
  for (let start = 0, end = 0; start < sorted.length; start = end) {
    const file = sorted[start]!.file;
    while (end < sorted.length && sorted[end]!.file === file) end++;
    for (const problem of sorted.slice(start, Math.min(end, start + MAX_PROBLEMS_PER_FILE))) {
      const path = shorten(problem.path, MAX_PROBLEM_PATH_CHARS);
      lines.push({
        problem: { ...problem, path, message: shorten(problem.message, MAX_PROBLEM_CHARS) },
        counts: 1,
      });
    }
    const cut = end - start - MAX_PROBLEMS_PER_FILE;
    if (cut > 0) lines.push({ problem: moreProblems(file, cut, 'in this file'), counts: cut });
  }
  const kept = lines.slice(0, MAX_PROBLEMS_PER_COMMIT);
  const cut = problems.length - sum(kept.map((line) => line.counts));
  const last = kept[kept.length - 1];
  if (cut > 0 && last)
    kept.push({ problem: moreProblems(last.problem.file, cut, 'in this commit'), counts: cut });
  return kept.map((line) => line.problem);
}

function moreProblems(file: string, count: number, where: string): Problem {
  const message = `… and ${count} more problem${count === 1 ? '' : 's'} ${where}`;
  return { file, line: 1, column: 1, path: '', message };
}

export function sortProblems(problems: Problem[]): Problem[] {
  return [...problems].sort(
    (a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0) || a.line - b.line || a.column - b.column,
  );
}
