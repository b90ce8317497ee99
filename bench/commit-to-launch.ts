/**
 * Commit to first launch: `borealis watch` runs as its own process on a local repository
 * and the local cluster; each of N commits adds a job, and the latency is from the moment
 * the commit's ref is written to the moment the reconciler launched the job's task (the
 * task's own launch stamp), observed through a second LocalCluster on the same sandboxes.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { LocalCluster } from '../src/cluster/local/cluster.js';
import type { ObservedTask } from '../src/cluster/types.js';
import { DeployEnv } from '../test/support/deploy-env.js';
import { jobObject } from '../test/support/jobs.js';
import { median, percentile } from './table.js';

const BIN = fileURLToPath(new URL('../../bin/borealis.js', import.meta.url));

const job = (name: string) =>
  jobObject({
    name,
    service: true,
    task: {
      processes: [{ name: 'main', cmdline: 'exec sleep 1000', min_duration: 0 }],
      resources: { cpu: 0.01, ram: '4MiB', disk: '4MiB' },
      finalization_wait: 1,
    },
  });

export async function commitToFirstLaunch(
  commits: number,
): Promise<{ median: number; p95: number; samples: number[] }> {
  const env = new DeployEnv();
  const jobs = [job('seed')];
  env.commitJobs('seed', jobs);
  const daemon = spawn(
    process.execPath,
    [BIN, '--repo', env.repo.dir, '--state', env.state, 'watch', '--no-http', '--resync', '3600'],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const observer = new LocalCluster({ root: join(env.state, 'sandboxes'), pollMs: 5_000 });
  const launched = new Map<string, ObservedTask>();
  const waiters = new Map<string, () => void>();
  observer.subscribe(({ task }) => {
    if (launched.has(task.jobId)) return;
    launched.set(task.jobId, task);
    waiters.get(task.jobId)?.();
  });
  const firstLaunch = (jobId: string) =>
    launched.has(jobId) ? Promise.resolve() : new Promise<void>((resolve) => waiters.set(jobId, resolve));
  const samples: number[] = [];
  try {
    await firstLaunch('local/www-data/prod/seed');
    for (let i = 0; i < commits; i++) {
      jobs.push(job(`job${i}`));
      env.repo.write({ [`jobs/job${i}.yaml`]: stringify(jobs.at(-1)) });
      env.repo.git('add', '-A');
      // The ref is written at some instant during `git commit`; counting from its start
      // over-states the latency by at most the commit's own few milliseconds.
      const before = Date.now();
      env.repo.git('commit', '-q', '-m', `add job${i}`);
      await firstLaunch(`local/www-data/prod/job${i}`);
      samples.push(launched.get(`local/www-data/prod/job${i}`)!.launchedAt - before);
    }
  } finally {
    daemon.kill('SIGTERM');
    await once(daemon, 'exit');
    await observer.close();
    await env.cleanup();
  }
  return { median: median(samples), p95: percentile(samples, 95), samples };
}
