/**
 * `borealis-task-supervisor`: what a Mesos agent runs for a task of several processes, and
 * that task's COMMAND health check. The Mesos sandbox (`$MESOS_SANDBOX`, the working
 * directory) becomes a Borealis sandbox and the task runs under the local cluster's
 * supervisor, with Thermos's process semantics and Aurora's health checks, in the
 * foreground: the task lives exactly as long as this process, and Mesos's kill (SIGTERM,
 * then SIGKILL after the kill policy's grace period) reaches it.
 *
 *   borealis-task-supervisor --task <json>   run the task; exit 0 if it finished or was killed
 *   borealis-task-supervisor --healthy       exit 0 if the task in this sandbox is RUNNING and healthy
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { createSandbox } from '../local/launcher.js';
import { isSandboxStatus, isTaskRecord, type TaskRecord } from '../local/records.js';
import { sandboxPaths } from '../local/sandbox-layout.js';
import { runSupervisor } from '../local/supervisor-boot.js';
import type { TaskLaunch } from '../types.js';

/** What `task-info.ts` passes in `--task`: the launch and the ports placement assigned. */
export type AgentTaskSpec = TaskLaunch & { ports: Record<string, number> };

export function sandboxOf(env: NodeJS.ProcessEnv = process.env): string {
  return env.MESOS_SANDBOX ?? process.cwd();
}

/** Runs the task to its end; the exit code tells Mesos whether it failed. */
export async function runAgentTask(specJson: string, sandbox: string): Promise<number> {
  const spec = JSON.parse(specJson) as AgentTaskSpec;
  const launchedAt = Date.now();
  const record: TaskRecord = { ...spec, hostname: process.env.MESOS_HOSTNAME ?? hostname(), launchedAt };
  if (!isTaskRecord(record))
    throw new Error('--task is not a Borealis task: it needs taskId, instance, config and ports');
  const paths = sandboxPaths(sandbox);
  await createSandbox(paths, { launch: spec, ports: spec.ports, hostname: record.hostname, launchedAt });
  const state = await runSupervisor(paths.dir);
  return state === 'FINISHED' || state === 'KILLED' ? 0 : 1;
}

/** The health check Mesos runs: the supervisor's own verdict, read from the sandbox. */
export function sandboxHealthy(sandbox: string): boolean {
  try {
    const status: unknown = JSON.parse(readFileSync(sandboxPaths(sandbox).status, 'utf8'));
    return isSandboxStatus(status) && status.state === 'RUNNING' && status.healthy === true;
  } catch {
    return false;
  }
}
