/**
 * Why a deployment, and each job in it, ended as it did: one code per cause, named after the
 * stage that decided it (as Flux's kustomize-controller gives each stage its own reason), so
 * scripts and receivers match on a code while people read the record's `detail`. Closed:
 * every code is documented (README, "Why, as a code") and published in
 * schemas/deployment.schema.json.
 *
 * Records written before the codes carried a sentence in `reason`; `withReasonCodes` reads
 * them into this scheme (the sentence becomes `detail`), so every record reads alike.
 */

/** The deployment's reason, by stage; absent when it succeeded, or while it runs undisturbed. */
export const DEPLOYMENT_REASONS = [
  // the signature check
  'UNTRUSTED',
  // loading the commit
  'PATH_UNCHANGED',
  'INVALID',
  // planning
  'STATE_CORRUPT',
  'MASS_KILL',
  'IN_SYNC',
  'HELD',
  // applying
  'APPLY_ERROR',
  'STOPPED',
  'SUPERSEDED',
  'ROLLOUT_FAILED',
  'ROLLED_BACK',
  // any stage
  'INTERRUPTED',
  'DEPLOY_INTERNAL_ERROR',
  'DEPLOY_CRASHED',
] as const;

export type DeploymentReason = (typeof DEPLOYMENT_REASONS)[number];

/** A job's reason: why its part did not succeed (absent when it did, or has not ended). */
export const JOB_REASONS = ['ROLLOUT_FAILED', 'ROLLED_BACK', 'SUPERSEDED', 'STOPPED'] as const;

export type JobReason = (typeof JOB_REASONS)[number];

/** A code, as opposed to the sentence a record written before the codes carries in `reason`. */
const CODE = /^[A-Z][A-Z0-9_]*$/;

interface ReasonedJob {
  result: string;
  reason?: string;
}

/** What a record needs to say why; `reason` may be a sentence, in a record written before the codes. */
interface ReasonedRecord {
  outcome: string;
  reason?: string;
  detail?: string;
  error?: { code: string };
  errors: readonly unknown[];
  jobs: readonly ReasonedJob[];
}

/**
 * A record with reason codes: one written with them is returned as it is; one written
 * before them gets the code its outcome and sentence meant, the sentence as its `detail`.
 */
export function withReasonCodes<T extends ReasonedRecord>(record: T): T {
  const coded = record.reason === undefined || CODE.test(record.reason);
  if (coded && record.jobs.every((job) => job.reason !== undefined || jobReasonOf(job) === undefined))
    return record;
  const { reason: sentence, ...rest } = record;
  const reason = coded ? sentence : legacyReason(record, sentence ?? '');
  const detail = coded ? record.detail : sentence;
  return {
    ...rest,
    ...(reason !== undefined && { reason }),
    ...(detail !== undefined && { detail }),
    jobs: record.jobs.map((job) => {
      const derived = job.reason ?? jobReasonOf(job);
      return derived === undefined ? job : { ...job, reason: derived };
    }),
  } as unknown as T;
}

/** A job's reason from its result, for records written before job reasons. */
export function jobReasonOf(job: { result: string }): JobReason | undefined {
  return LEGACY_JOB_REASONS[job.result];
}

const LEGACY_JOB_REASONS: Partial<Record<string, JobReason>> = {
  failed: 'ROLLOUT_FAILED',
  rolled_back: 'ROLLED_BACK',
  superseded: 'SUPERSEDED',
};

/**
 * The code of a record written before the codes, from the sentences that version wrote
 * (src/reconciler/deploy-commit.ts, DeploymentLog.closeInterrupted, `state repair`).
 */
function legacyReason(record: ReasonedRecord, sentence: string): DeploymentReason | undefined {
  const code = record.error?.code;
  if (code === 'DEPLOY_INTERNAL_ERROR' || code === 'DEPLOY_CRASHED') return code;
  if (sentence.startsWith('interrupted before its outcome was recorded')) return 'INTERRUPTED';
  switch (record.outcome) {
    case 'rejected':
      if (sentence.startsWith('untrusted commit')) return 'UNTRUSTED';
      if (sentence.startsWith('refused:')) return 'MASS_KILL';
      return 'INVALID';
    case 'noop':
      if (sentence.startsWith('nothing under ')) return 'PATH_UNCHANGED';
      return sentence.includes('held') ? 'HELD' : 'IN_SYNC';
    case 'failed':
      return sentence.startsWith('nothing applied:') ? 'STATE_CORRUPT' : 'ROLLOUT_FAILED';
    case 'rolled_back':
      return 'ROLLED_BACK';
    case 'superseded':
      return 'SUPERSEDED';
    case 'in_progress':
      return sentence === '' ? undefined : 'STOPPED';
    default:
      return undefined;
  }
}
