/**
 * A synthetic job repository at scale, committed to a real Git repository: job files of
 * 30 to 60 lines written the way people write them (comments, env, health checks, update
 * settings, constraints, several processes), a fifth of them extending one of ten
 * templates, ten instances per job on average.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface SyntheticRepo {
  dir: string;
  jobs: number;
  /** Instances declared over all jobs. */
  instances: number;
  /** The cluster every job runs on (a Mesos cluster, named in clusters.yaml). */
  cluster: string;
}

/** Git as the benchmarks run it: a fixed author and committer, no system config. */
export const GIT_ENV = {
  ...process.env,
  GIT_AUTHOR_NAME: 'Bench',
  GIT_AUTHOR_EMAIL: 'bench@example.com',
  GIT_COMMITTER_NAME: 'Bench',
  GIT_COMMITTER_EMAIL: 'bench@example.com',
  GIT_CONFIG_NOSYSTEM: '1',
};
const TEMPLATES = 10;

/** Deterministic: the same count always gives the same files, so runs compare. */
export function syntheticRepo(jobs: number, masterUrl: string): SyntheticRepo {
  const dir = mkdtempSync(join(tmpdir(), `borealis-bench-repo-${jobs}-`));
  const git = (...args: string[]) => execFileSync('git', args, { cwd: dir, env: GIT_ENV, stdio: 'pipe' });
  git('init', '-q', '-b', 'main');
  write(
    dir,
    'clusters.yaml',
    `clusters:\n  - name: west\n    type: mesos\n    master: ${masterUrl}\n    role: prod\n    user: www-data\n`,
  );
  for (let t = 0; t < TEMPLATES; t++) write(dir, `templates/service-${t}.yaml`, template(t));
  let instances = 0;
  for (let j = 0; j < jobs; j++) {
    const count = 5 + (j % 11); // 5..15, ten on average
    instances += count;
    write(
      dir,
      `jobs/team-${j % 100}/job-${j}.yaml`,
      j % 5 === 0 ? extendingJob(j, count) : fullJob(j, count),
    );
  }
  git('add', '-A');
  git('commit', '-q', '-m', `${jobs} jobs`);
  return { dir, jobs, instances, cluster: 'west' };
}

function write(dir: string, path: string, text: string): void {
  mkdirSync(join(dir, path, '..'), { recursive: true });
  writeFileSync(join(dir, path), text);
}

function fullJob(j: number, instances: number): string {
  const processes = 1 + (j % 3);
  const lines = [
    `# Job ${j}, owned by team ${j % 100}. Changes roll out one batch at a time.`,
    `cluster: west`,
    `role: team-${j % 100}`,
    `environment: ${j % 4 === 0 ? 'staging' : 'prod'}`,
    `name: job-${j}`,
    `instances: ${instances}`,
    `service: true`,
    `contact: team-${j % 100}@example.com`,
    `constraints:`,
    `  host: limit:1`,
    `metadata:`,
    `  owner: team-${j % 100}`,
    `  tier: "${j % 3}"`,
    `env:`,
    `  JOB: job-${j}`,
    `  LOG_LEVEL: ${j % 2 === 0 ? 'info' : 'debug'}`,
    `  FEATURE_FLAGS: "a,b,c"`,
    `update_config:`,
    `  batch_size: ${1 + (j % 4)}`,
    `  watch_secs: 30`,
    `  max_total_failures: 0`,
    `health_check_config:`,
    `  http:`,
    `    endpoint: /health`,
    `    expected_response: ok`,
    `  initial_interval_secs: 10`,
    `  interval_secs: 5`,
    `task:`,
    `  processes:`,
    ...Array.from({ length: processes }, (_, p) => [
      `    - name: proc-${p}`,
      `      cmdline: exec ./server --port {{thermos.ports[http]}} --shard {{mesos.instance}} --worker ${p}`,
      `      min_duration: 5`,
    ]).flat(),
    `  resources:`,
    `    cpu: 0.${1 + (j % 9)}`,
    `    ram: ${64 * (1 + (j % 4))}MiB`,
    `    disk: 256MiB`,
    `    ports: [http]`,
    `  finalization_wait: 10`,
  ];
  return `${lines.join('\n')}\n`;
}

/** A short job that takes most of its settings from a template. */
function extendingJob(j: number, instances: number): string {
  const lines = [
    `# Job ${j}: the service template with its own name, size and environment.`,
    `extends: ../../templates/service-${j % TEMPLATES}.yaml`,
    `role: team-${j % 100}`,
    `name: job-${j}`,
    `instances: ${instances}`,
    `contact: team-${j % 100}@example.com`,
    `metadata:`,
    `  owner: team-${j % 100}`,
    `env:`,
    `  JOB: job-${j}`,
    `  REGION: west-${j % 3}`,
    `  CACHE_SIZE: "${128 * (1 + (j % 8))}"`,
    `  LOG_LEVEL: info`,
    `update_config:`,
    `  batch_size: ${2 + (j % 3)}`,
    `  watch_secs: 20`,
    `health_check_config:`,
    `  initial_interval_secs: 15`,
    `  interval_secs: 10`,
    `task:`,
    `  resources:`,
    `    cpu: 0.${1 + (j % 9)}`,
    `    ram: ${128 * (1 + (j % 3))}MiB`,
    `  constraints:`,
    `    - order: [setup, serve]`,
    `  processes:`,
    `    - name: setup`,
    `      cmdline: ./fetch-config --job job-${j} --instance {{mesos.instance}}`,
    `    - name: serve`,
    `      cmdline: exec ./server --port {{thermos.ports[http]}}`,
    `      min_duration: 5`,
  ];
  return `${lines.join('\n')}\n`;
}

function template(t: number): string {
  return `# Service template ${t}: what most services share.
cluster: west
environment: prod
service: true
constraints:
  host: limit:1
update_config:
  batch_size: 2
  watch_secs: 30
health_check_config:
  http:
    endpoint: /health
    expected_response: ok
task:
  resources:
    cpu: 0.5
    ram: 256MiB
    disk: 512MiB
    ports: [http]
  finalization_wait: 15
`;
}
