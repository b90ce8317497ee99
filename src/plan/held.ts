/**
 * Held updates: after a rolling update fails, the cluster is not asked to try it again on
 * every resync (each try kills healthy instances, fails, and rolls back: a retry storm).
 * The job is planned as it last rolled out until its configuration changes in Git or an
 * operator retries explicitly.
 */
import { recordedInstance } from '../state/record-shapes.js';
import { instanceConfig } from '../jobspec/normalise.js';
import type { JobSpec } from '../jobspec/types.js';
import type { HeldUpdate, JobChange, Plan, RecordedJob } from './types.js';

/** The hold that applies to `job`: its desired configuration is the one that failed. */
export function holdOf(
  job: JobSpec,
  record: RecordedJob | undefined,
  retry: boolean,
): HeldUpdate | undefined {
  const held = record?.held;
  return !retry && held?.configHash === job.configHash ? held : undefined;
}

/**
 * The job as it last rolled out, at the instance count Git asks for now: what a held job
 * runs and relaunches. Only the configuration that failed is held back, so an operator can
 * still scale a job whose update is held.
 */
export function recordedSpec(job: JobSpec, record: RecordedJob): JobSpec {
  const config = { ...record.config, instances: job.config.instances };
  recordedInstance(record);
  return { ...job, config, instance: instanceConfig(config), configHash: record.configHash };
}

/** The spec a change is carried out with: the recorded one for a held job. */
export function effectiveSpec(
  job: JobSpec,
  record: RecordedJob | undefined,
  change: JobChange | undefined,
): JobSpec {
  return change?.held && record ? recordedSpec(job, record) : job;
}

/**
 * The records whose hold a plan with nothing to carry out ends: the commit asks for a
 * configuration other than the held one (a revert to what runs), so the job is in sync with
 * it. Such a plan is never executed, so nothing else would write these records again.
 */
export function releasedHolds(
  plan: Plan,
  desired: readonly JobSpec[],
  recorded: readonly RecordedJob[],
): JobSpec[] {
  const stillHeld = new Set(plan.changes.filter((change) => change.held).map((change) => change.job));
  const records = new Map(recorded.map((record) => [record.id, record]));
  return desired.filter((job) => {
    const record = records.get(job.id);
    return record?.held !== undefined && !stillHeld.has(job.id) && record.configHash === job.configHash;
  });
}
