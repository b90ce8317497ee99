/** Builders for normalised job specs and observed tasks, for planner and deployer tests. */
import type { ObservedTask, TaskState } from '../../src/cluster/types.js';
import { plan } from '../../src/plan/planner.js';
import type { JobChange, RecordedJob } from '../../src/plan/types.js';
import { normaliseJob } from '../../src/jobspec/normalise.js';
import { validateJobValue } from '../../src/jobspec/schema.js';
import type { JobSpec } from '../../src/jobspec/types.js';
import type { WrittenJob } from '../../src/jobspec/written.js';
import { jobObject, type JobFields } from './jobs.js';

/** A valid, normalised job; throws if the fields make it invalid. */
export function spec(fields: JobFields): JobSpec {
  const value = structuredClone(jobObject(fields));
  const problems = validateJobValue(value);
  if (problems.length > 0) throw new Error(`invalid test job: ${JSON.stringify(problems)}`);
  return normaliseJob(value as unknown as WrittenJob, `jobs/${fields.name}.yaml`);
}

export function recorded(job: JobSpec, commit = 'c0'): RecordedJob {
  return { id: job.id, commit, config: job.config, configHash: job.configHash, appliedAt: 0 };
}

let taskCounter = 0;

export function task(
  job: JobSpec | string,
  instance: number,
  fields: Partial<ObservedTask> & { state?: TaskState } = {},
): ObservedTask {
  const jobId = typeof job === 'string' ? job : job.id;
  return {
    taskId: `${jobId.replace(/\//g, '-')}-${instance}-${++taskCounter}`,
    jobId,
    instance,
    configHash: typeof job === 'string' ? 'unknown' : job.configHash,
    commit: 'c0',
    state: 'RUNNING',
    updatedAt: 0,
    launchedAt: taskCounter,
    host: 'localhost',
    ports: {},
    ...fields,
  };
}

/** `running(job, 3)` → RUNNING tasks for instances 0..2 with the job's configuration. */
export function running(
  job: JobSpec,
  count = job.config.instances,
  fields: Partial<ObservedTask> = {},
): ObservedTask[] {
  return Array.from({ length: count }, (_, instance) => task(job, instance, fields));
}

/** The change planned for a job that runs `from` (recorded and running) and is to run `to`. */
export function changeBetween(from: JobSpec, to: JobSpec, observed = running(from)): JobChange {
  const planned = plan({
    commit: 'c1',
    cluster: 'local',
    desired: [to],
    observed,
    recorded: [recorded(from)],
    now: 0,
  });
  return planned.changes[0]!;
}
