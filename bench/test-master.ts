/**
 * What the benchmarks share about the test master: the handle on its process
 * (`master-process.ts`) and the launch Borealis would send for one instance, from which
 * both the converged master's preload and the placement benchmark's launches are built.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { TaskLaunch } from '../src/cluster/types.js';
import { newTaskId } from '../src/deploy/task-ids.js';
import type { JobSpec } from '../src/jobspec/types.js';

export interface MasterProcess {
  /** The next JSON line the master prints. */
  next: () => Promise<unknown>;
  /** Closes its stdin: it prints its CPU time and exits. */
  end: () => void;
}

const SCRIPT = fileURLToPath(new URL('./master-process.js', import.meta.url));

export function startMaster(args: readonly string[]): MasterProcess {
  const child = spawn(process.execPath, [SCRIPT, ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  return {
    next: async () => {
      const line = await lines.next();
      if (line.done) throw new Error('the test master exited early');
      return JSON.parse(line.value) as unknown;
    },
    end: () => child.stdin.end(),
  };
}

export function benchLaunch(job: JobSpec, instance: number): TaskLaunch {
  return {
    taskId: newTaskId(job.key, instance),
    jobId: job.id,
    key: job.key,
    instance,
    configHash: job.configHash,
    commit: 'bench',
    config: job.instance,
  };
}
