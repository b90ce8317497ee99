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
import { loadClusters } from './clusters.js';
import type { JobSpec, LoadedRepository, Problem } from './types.js';
import type { WrittenJob } from './written.js';
import { formatPath, parseYamlFile, type ParsedFile } from './yaml.js';

const JOB_FILE = /^jobs\/.+\.ya?ml$/;
const CLUSTERS_FILES = ['clusters.yaml', 'clusters.yml'];

export async function loadRepository(tree: RepoTree): Promise<LoadedRepository> {
  const entries = await tree.list();
  const paths = new Set(entries.map((entry) => entry.path));
  const jobFiles = entries.map((entry) => entry.path).filter((path) => JOB_FILE.test(path));
  const clustersFile = CLUSTERS_FILES.find((path) => paths.has(path));
  const contents = await tree.read(clustersFile ? [clustersFile, ...jobFiles] : jobFiles);

  const problems: Problem[] = [];
  const parsed = new Map<string, ParsedFile>();
  const parse = (path: string, text: string): ParsedFile => {
    const file = parseYamlFile(path, text);
    parsed.set(path, file);
    problems.push(...file.problems);
    return file;
  };
  const loadTemplate = async (path: string): Promise<ParsedFile | null> => {
    const known = parsed.get(path);
    if (known) return known;
    if (!paths.has(path)) return null;
    const text = (await tree.read([path])).get(path);
    return text === undefined ? null : parse(path, text);
  };

  const clusters = loadClusters(clustersFile, clustersFile ? contents.get(clustersFile) : undefined);
  problems.push(...clusters.problems);

    const jobs: JobSpec[] = [];
  const keyLocations = new Map<JobSpec, () => KeyLocations>();
  for (const path of jobFiles) {
    for (const document of parse(path, contents.get(path) ?? '').documents) {
      if (!isPlainObject(document.value)) {
        const { line, column } = document.locate([]) ?? { line: 1, column: 1 };
        problems.push({
          file: path,
          line,
          column,
          path: '',
          message: 'a job document must be a map of job fields',
        });
        continue;
      }
      const { merged, problems: extendsProblems } = await resolveExtends(document, loadTemplate);
      problems.push(...extendsProblems);
      if (!merged) continue;
      const loaded = loadJob(merged);
      problems.push(...loaded.problems);
      if (loaded.job) jobs.push(loaded.job);
            if (loaded.job) keyLocations.set(loaded.job, loaded.keyLocations!);
    }
  }
  problems.push(
    ...repositoryProblems(jobs, keyLocations, new Set(clusters.clusters.map((c) => c.name)), clusters.valid),
  );
  return { clusters: clusters.clusters, jobs, problems: sortProblems(dedupeProblems(problems)) };
}

/** Schema, then rules, then normalisation: later stages run only on input the earlier ones accepted. */
interface KeyLocations {
  name: Location;
  cluster: Location;
}

function loadJob(merged: MergedJob): { job?: JobSpec; keyLocations?: () => KeyLocations; problems: Problem[] } {
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
  const job = normaliseJob(written, merged.file);
    // Only a repository problem (a duplicate key, an unknown cluster) needs to point at them.
  const keyLocations = () => ({
    name: locateInChain(merged.chain, ['name'], 'value'),
    cluster: locateInChain(merged.chain, ['cluster'], 'value'),
  });
  return { job, keyLocations, problems: [] };
}

function repositoryProblems(
  jobs: JobSpec[],
  locations: Map<JobSpec, () => KeyLocations>,
  clusterNames: Set<string>,
  clustersValid: boolean,
): Problem[] {
  const problems: Problem[] = [];
  const firstById = new Map<string, JobSpec>();
  for (const job of jobs) {
    const first = firstById.get(job.id);
    if (first) {
      const earlier = locations.get(first)!().name;
      problems.push({
        ...locations.get(job)!().name,
        path: 'name',
        message: `job ${job.id} is already declared at ${earlier.file}:${earlier.line}; job keys (cluster/role/environment/name) must be unique`,
      });
    } else firstById.set(job.id, job);
    if (clustersValid && !clusterNames.has(job.key.cluster)) {
      problems.push({
        ...locations.get(job)!().cluster,
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
