/**
 * What happened to each job of a deployment, for its record: the events of its rollout as
 * they are reported, and once the plan is carried out, its result and why.
 */
import type { DeployProgress, DeployResult, HaltRequest } from '../deploy/executor.js';
import type { Plan } from '../plan/types.js';
import type { JobReason } from '../state/deployment-reasons.js';
import type { JobResultRecord } from '../state/deployments.js';

/**
 * Collects per-job, per-instance events during a deployment, for the record. A resumed
 * deployment goes on from the events its record kept, so the record tells the whole story.
 */
export class JobEvents {
  private readonly byJob = new Map<string, JobResultRecord>();

  constructor(
    plan: Plan,
    private readonly now: () => number,
    earlier: readonly JobResultRecord[] = [],
  ) {
    const kept = new Map(earlier.map((job) => [job.job, job.events]));
    for (const change of plan.changes.filter((c) => c.action !== 'noop')) {
      const events = [...(kept.get(change.job) ?? [])];
      this.byJob.set(change.job, { job: change.job, action: change.action, result: 'pending', events });
    }
  }

  add(progress: DeployProgress): void {
    if (progress.event === 'ROLLOUT_PHASE') return; // what happened is in the instance events
    const event = {
      at: this.now(),
      event: progress.event,
      instance: progress.instance,
      detail: progress.detail,
    };
    this.byJob.get(progress.job)?.events.push(event);
  }

  /** The jobs as they stand: with the result once there is one, pending before. */
  records(result?: DeployResult, halt: HaltRequest = 'no'): JobResultRecord[] {
    for (const outcome of result?.outcomes ?? []) {
      const entry = this.byJob.get(outcome.job);
      if (!entry) continue;
      entry.result = outcome.result;
      const reason = JOB_REASONS_BY_RESULT[outcome.result];
      if (reason) entry.reason = reason;
      if (outcome.message) entry.message = outcome.message;
    }
    for (const job of result?.interrupted ?? []) {
      const entry = this.byJob.get(job);
      if (!entry) continue;
      entry.result = 'superseded';
      entry.reason = halt === 'now' ? 'STOPPED' : 'SUPERSEDED';
    }
    return [...this.byJob.values()].map((entry) => ({ ...entry, events: [...entry.events] }));
  }
}

const JOB_REASONS_BY_RESULT: Record<DeployResult['outcomes'][number]['result'], JobReason | undefined> = {
  succeeded: undefined,
  failed: 'ROLLOUT_FAILED',
  rolled_back: 'ROLLED_BACK',
};
