/**
 * Reads a job repository (a directory or one commit) into validated `JobSpec`s.
 * Every problem in every file is collected; a repository with any problem is invalid as a
 * whole, and callers must apply nothing from it.
 */
import type { RepoTree } from '../source/tree.js';
import { isPlainObject, locateInChain, resolveExtends, type Location, type MergedJob } from './extends.js';
import { normaliseJob } from './normalise.js';
import { checkRules } from './rules.js';
import { validateJobValue, type SchemaProblem } from './schema.js';
import { loadClusters, type LoadedClusters } from './clusters.js';
import type { JobSpec, LoadedRepository, Problem } from './types.js';
import type { WrittenJob } from './written.js';
import type { SpecCache } from './spec-cache.js';
import { formatPath, parseYamlFile, type ParsedFile, type SourceDocument } from './yaml.js';

const JOB_FILE = /^jobs\/.+\.ya?ml$/;
const CLUSTERS_FILES = ['clusters.yaml', 'clusters.yml'];

export interface LoadOptions {
  /** Jobs already validated, by file id: an unchanged file is taken from here, not parsed again. */
  cache?: SpecCache;
}

export async function loadRepository(tree: RepoTree, options: LoadOptions = {}): Promise<LoadedRepository> {
  const entries = await tree.list();
  const ids = new Map(entries.map((entry) => [entry.path, entry.id]));
  const jobFiles = entries.map((entry) => entry.path).filter((path) => JOB_FILE.test(path));
  const clustersFile = CLUSTERS_FILES.find((path) => ids.has(path));
  const cached = new Map<string, readonly JobSpec[]>();
  for (const path of jobFiles) {
    const hit = options.cache?.get(path, ids.get(path)!, ids);
    if (hit) cached.set(path, hit);
  }
  const toRead = jobFiles.filter((path) => !cached.has(path));
  const cachedClusters = clustersFile && options.cache?.clusters(clustersFile, ids.get(clustersFile)!);
  const readClusters = clustersFile !== undefined && !cachedClusters;
  const contents = await tree.read(readClusters ? [clustersFile, ...toRead] : toRead);

  const problems: Problem[] = [];
  const parsed = new Map<string, ParsedFile>();
  const parse = (path: string, text: string): ParsedFile => {
    const file = parseYamlFile(path, text);
    problems.push(...file.problems);
    return file;
  };
  // Templates are kept for the jobs that extend them; a job file's parse is dropped once its
  // jobs are built, so a large repository is never all in memory as YAML at once.
  const loadTemplate = async (path: string): Promise<ParsedFile | null> => {
    const known = parsed.get(path);
    if (known) return known;
    if (!ids.has(path)) return null;
    const text = (await tree.read([path])).get(path);
    if (text === undefined) return null;
    const file = parse(path, text);
    parsed.set(path, file);
    return file;
  };

  const clusters: LoadedClusters = cachedClusters
    ? { clusters: cachedClusters, valid: true, problems: [] }
    : loadClusters(clustersFile, clustersFile ? contents.get(clustersFile) : undefined);
  problems.push(...clusters.problems);
  if (clustersFile && readClusters && clusters.valid)
    options.cache?.setClusters(clustersFile, ids.get(clustersFile)!, clusters.clusters);

  const jobs: JobSpec[] = [];
  /** The document each freshly loaded job came from; a cached file's jobs are its documents in order. */
  const documentIndex = new Map<JobSpec, number>();
  for (const path of jobFiles) {
    const hit = cached.get(path);
    if (hit) {
      jobs.push(...hit);
      continue;
    }
    const before = problems.length;
    const templates: Record<string, string> = {};
    const recording = async (template: string) => {
      templates[template] = ids.get(template) ?? '';
      return loadTemplate(template);
    };
    const fileJobs: JobSpec[] = [];
    const documents = parse(path, contents.get(path) ?? '').documents;
    for (const [index, document] of documents.entries()) {
      const loaded = await loadDocument(document, recording, problems);
      if (!loaded) continue;
      fileJobs.push(loaded.job);
      documentIndex.set(loaded.job, index);
    }
    jobs.push(...fileJobs);
    if (problems.length === before) options.cache?.set(path, ids.get(path)!, templates, fileJobs);
  }
  options.cache?.keepOnly(ids);
  // Found again from the file only if a repository problem asks: holding every job's merged
  // documents (or even a closure per job) until then would cost every load for a rare error.
  const locate = (job: JobSpec) =>
    locateCached(
      tree,
      job.file,
      documentIndex.get(job) ?? cached.get(job.file)?.indexOf(job) ?? 0,
      loadTemplate,
    );
  problems.push(
    ...(await repositoryProblems(
      jobs,
      locate,
      new Set(clusters.clusters.map((c) => c.name)),
      clusters.valid,
    )),
  );
  return { clusters: clusters.clusters, jobs, problems: sortProblems(dedupeProblems(problems)) };
}

/** One job document: a map, merged with its templates, validated and normalised. */
async function loadDocument(
  document: SourceDocument,
  loadTemplate: (path: string) => Promise<ParsedFile | null>,
  problems: Problem[],
): Promise<{ job: JobSpec } | undefined> {
  if (!isPlainObject(document.value)) {
    const { line, column } = document.locate([]) ?? { line: 1, column: 1 };
    problems.push({
      file: document.file,
      line,
      column,
      path: '',
      message: 'a job document must be a map of job fields',
    });
    return undefined;
  }
  const { merged, problems: extendsProblems } = await resolveExtends(document, loadTemplate);
  problems.push(...extendsProblems);
  if (!merged) return undefined;
  const loaded = loadJob(merged);
  problems.push(...loaded.problems);
  return loaded.job ? { job: loaded.job } : undefined;
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
  if (!merged)
    return { name: { file: path, line: 1, column: 1 }, cluster: { file: path, line: 1, column: 1 } };
  return {
    name: locateInChain(merged.chain, ['name'], 'value'),
    cluster: locateInChain(merged.chain, ['cluster'], 'value'),
  };
}

interface KeyLocations {
  name: Location;
  cluster: Location;
}

/** Schema, then rules, then normalisation: later stages run only on input the earlier ones accepted. */
function loadJob(merged: MergedJob): { job?: JobSpec; problems: Problem[] } {
  const value = structuredClone(merged.value);
  const toProblems = (found: SchemaProblem[]): Problem[] =>
    found.map(({ path, at, message }) => {
      const { file, line, column } = locateInChain(merged.chain, path, at);
      return { file, line, column, path: formatPath(path), message };
    });
  const schemaProblems = validateJobValue(value);
  if (schemaProblems.length > 0) return { problems: toProblems(schemaProblems) };
  const written = value as unknown as WrittenJob;
  const ruleProblems = checkRules(written);
  if (ruleProblems.length > 0) return { problems: toProblems(ruleProblems) };
  return { job: normaliseJob(written, merged.file), problems: [] };
}

async function repositoryProblems(
  jobs: JobSpec[],
  locate: (job: JobSpec) => Promise<KeyLocations>,
  clusterNames: Set<string>,
  clustersValid: boolean,
): Promise<Problem[]> {
  const problems: Problem[] = [];
  const firstById = new Map<string, JobSpec>();
  for (const job of jobs) {
    const first = firstById.get(job.id);
    if (first) {
      const earlier = (await locate(first)).name;
      problems.push({
        ...(await locate(job)).name,
        path: 'name',
        message: `job ${job.id} is already declared at ${earlier.file}:${earlier.line}; job keys (cluster/role/environment/name) must be unique`,
      });
    } else firstById.set(job.id, job);
    if (clustersValid && !clusterNames.has(job.key.cluster)) {
      problems.push({
        ...(await locate(job)).cluster,
        path: 'cluster',
        message: `no cluster named "${job.key.cluster}" in clusters.yaml (declared: ${[...clusterNames].join(', ') || 'none'})`,
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

export function sortProblems(problems: Problem[]): Problem[] {
  return [...problems].sort(
    (a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0) || a.line - b.line || a.column - b.column,
  );
}
