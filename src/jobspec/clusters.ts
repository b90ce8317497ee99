/** `clusters.yaml`: the clusters a repository's jobs may name. */
import { locateInChain } from './extends.js';
import { validateClustersValue } from './schema.js';
import { withValueProblems } from './value-checks.js';
import type { ClusterConfig, Problem } from './types.js';
import { formatPath, parseYamlFile } from './yaml.js';

export interface LoadedClusters {
  clusters: ClusterConfig[];
  /** False when the file is missing or invalid, so jobs are not also blamed for naming unknown clusters. */
  valid: boolean;
  problems: Problem[];
}

export function loadClusters(
  file: string | undefined,
  text: string | Uint8Array | undefined,
): LoadedClusters {
  if (file === undefined || text === undefined) {
    return {
      clusters: [],
      valid: false,
      problems: [
        {
          file: 'clusters.yaml',
          line: 1,
          column: 1,
          path: '',
          message:
            'no clusters.yaml: every job repository needs one at its root, naming the clusters its jobs may use',
        },
      ],
    };
  }
  const parsed = parseYamlFile(file, text);
  const [document, ...extra] = parsed.documents;
  if (parsed.problems.length > 0) return { clusters: [], valid: false, problems: parsed.problems };
  if (!document || extra.length > 0) {
    return {
      clusters: [],
      valid: false,
      problems: [{ file, line: 1, column: 1, path: '', message: 'must hold exactly one YAML document' }],
    };
  }
  const value = structuredClone(document.value);
  const found = withValueProblems(validateClustersValue(value), value);
  const problems: Problem[] = found.map(({ path, at, message }) => ({
    ...locateInChain([document], path, at),
    path: formatPath(path),
    message,
  }));
  if (problems.length > 0) return { clusters: [], valid: false, problems };
  const clusters = (value as { clusters: ClusterConfig[] }).clusters;
  clusters.forEach((cluster, index) => {
    if (clusters.findIndex((other) => other.name === cluster.name) < index) {
      const path = ['clusters', index, 'name'];
      problems.push({
        ...locateInChain([document], path, 'value'),
        path: formatPath(path),
        message: `cluster "${cluster.name}" is declared twice`,
      });
    }
  });
  return { clusters, valid: problems.length === 0, problems };
}

/**
 * Aurora's scheduler caps a job at 4,000 tasks (`max_tasks_per_job`); a cluster may set its
 * own cap in clusters.yaml (`limits.max_instances_per_job`), up to the job schema's ceiling.
 */
export const DEFAULT_MAX_INSTANCES_PER_JOB = 4000;

export function maxInstancesPerJob(cluster: ClusterConfig): number {
  return cluster.limits?.max_instances_per_job ?? DEFAULT_MAX_INSTANCES_PER_JOB;
}
