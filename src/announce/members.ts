/**
 * What a ServerSet member says, and which tasks should have one. Pure: the ZooKeeper side
 * lives in `serverset.ts`, so the format Finagle and other ServerSet readers depend on can
 * be table-tested without a server.
 */
import type { ObservedTask } from '../cluster/types.js';
import type { AnnounceConfig, JobSpec } from '../jobspec/types.js';

export interface Endpoint {
  host: string;
  port: number;
}

/**
 * A member node's data, as Aurora's executor writes it. The property order is part of the
 * format: some readers compare the raw JSON, so objects are always built in this order.
 */
export interface MemberData {
  serviceEndpoint: Endpoint;
  additionalEndpoints: Record<string, Endpoint>;
  status: 'ALIVE';
  shard: number;
}

/** A task that should be announced, with the job whose `announce` describes it. */
export interface DesiredMember {
  job: JobSpec;
  announce: AnnounceConfig;
  task: ObservedTask;
}

/** Builds endpoints with `host` first, so the JSON order never depends on the caller. */
function endpoint(host: string, port: number): Endpoint {
  return { host, port };
}

/** The port an alias points at: a fixed number, or the number assigned to a requested port. */
function resolveAlias(target: string | number, ports: Record<string, number>): number | undefined {
  return typeof target === 'number' ? target : ports[target];
}

/**
 * Every resolved port by name: the task's assigned ports in name order (so the bytes do not
 * depend on the order a backend happened to report them), then the portmap aliases in
 * declaration order (normalisation puts `aurora` first). An alias that cannot be resolved is
 * left out, as Aurora's announcer does; validation normally rules that out anyway.
 */
export function resolvedPorts(task: ObservedTask, announce: AnnounceConfig): Map<string, number> {
  const resolved = new Map<string, number>();
  for (const name of Object.keys(task.ports).sort()) resolved.set(name, task.ports[name] as number);
  for (const [alias, target] of Object.entries(announce.portmap)) {
    const port = resolveAlias(target, task.ports);
    if (port !== undefined) resolved.set(alias, port);
  }
  return resolved;
}

/**
 * The member data for one task. Throws when the primary port was not assigned: a member
 * without a usable service endpoint would send clients to port 0.
 */
export function memberData(task: ObservedTask, announce: AnnounceConfig, host: string): MemberData {
  const primary = task.ports[announce.primary_port];
  if (primary === undefined) {
    throw new Error(`task ${task.taskId} has no port named "${announce.primary_port}" to announce`);
  }
  const additionalEndpoints: Record<string, Endpoint> = {};
  for (const [name, port] of resolvedPorts(task, announce)) additionalEndpoints[name] = endpoint(host, port);
  return {
    serviceEndpoint: endpoint(host, primary),
    additionalEndpoints,
    status: 'ALIVE',
    shard: task.instance,
  };
}

/** The exact bytes written to ZooKeeper for a member. */
export function memberJson(data: MemberData): string {
  return JSON.stringify(data);
}

/**
 * Whether a task may receive traffic: RUNNING, and not known to be unhealthy. A task
 * without a health check (or whose check has not decided yet) has `healthy` undefined and
 * counts as healthy once RUNNING, as in Aurora, where an instance is RUNNING only once its
 * health check passed.
 */
export function isAnnounceable(task: ObservedTask): boolean {
  return task.state === 'RUNNING' && task.healthy !== false;
}

/**
 * The tasks that should have a member: announceable tasks of jobs with `announce`, whose
 * primary port was assigned, but for a cron run's (a batch run is no server to send
 * requests to). Tasks of a job still running an older configuration during an
 * update are announced with the job's current `announce`, because the old one is not known
 * here; a task lacking the current primary port is left out rather than announced wrongly.
 */
export function desiredMembers(jobs: readonly JobSpec[], tasks: readonly ObservedTask[]): DesiredMember[] {
  const announcing = new Map<string, JobSpec>();
  for (const job of jobs) if (job.config.announce) announcing.set(job.id, job);
  const desired: DesiredMember[] = [];
  for (const task of tasks) {
    const job = announcing.get(task.jobId);
    const announce = job?.config.announce;
    if (!job || !announce || !isAnnounceable(task) || task.cronRun !== undefined) continue;
    if (task.ports[announce.primary_port] === undefined) continue;
    desired.push({ job, announce, task });
  }
  return desired;
}
