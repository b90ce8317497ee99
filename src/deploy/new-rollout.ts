/** Turns one job's planned change into the initial state of its rollout. */
import { recordedInstance } from '../state/record-shapes.js';
import type { JobChange, RecordedJob } from '../plan/types.js';
import type { JobSpec } from '../jobspec/types.js';
import type { RolloutState } from './rollout.js';

/** Whether a change is carried out as a rollout (launches and kills in health-gated batches). */
export function needsRollout(change: JobChange): boolean {
  const { add, update, remove } = change.instances;
  return (
    ['create', 'update', 'scale'].includes(change.action) && add.length + update.length + remove.length > 0
  );
}

export function newRollout(
  change: JobChange,
  job: JobSpec,
  record: RecordedJob | undefined,
  commit: string,
  now: number,
): RolloutState {
  const creating = change.action === 'create';
  // Aurora creates a new job's instances all at once; only changes to a running job roll.
  const settings = creating
    ? {
        ...job.config.update_config,
        batch_size: Math.max(job.config.instances, 1),
        watch_secs: 0,
        rollback_on_failure: false,
      }
    : { ...job.config.update_config };
  const order = [...change.instances.add, ...change.instances.update].sort((a, b) => a - b);
  const state: RolloutState = {
    version: 1,
    jobId: job.id,
    commit,
    status: 'ROLLING_FORWARD',
    target: { configHash: job.configHash, config: structuredClone(job.instance) },
    previousInstances: record?.config.instances ?? 0,
    settings,
    finishIsSuccess: !job.config.service,
    instances: order.map((instance) => ({ instance, status: 'pending', failures: 0 })),
    removals: [...change.instances.remove],
    startedAt: now,
    updatedAt: now,
  };
  if (record)
    state.previous = {
      configHash: record.configHash,
      config: structuredClone(recordedInstance(record)),
    };
  return state;
}
