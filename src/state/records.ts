/**
 * The typed records Borealis keeps, on top of any `StateStore`:
 *
 *   applied                  the last commit applied to the cluster
 *   jobs/<job id>            per job: the configuration last applied (RecordedJob)
 *   updates/<job id>         per job: an in-flight rollout, saved before every step
 *   drift/open               the drifts announced and not yet resolved (so a restart does not announce them again)
 *
 * Job ids are encoded into one key segment each. Every record carries a `version` field
 * of its own format, checked on read, so an older Borealis never misreads a newer record.
 */
import type { RolloutState } from '../deploy/rollout.js';
import type { OpenDrift } from '../drift/transitions.js';
import type { RecordedJob } from '../plan/types.js';
import type { JobId } from '../spec/types.js';
import { decodeKeySegment, encodeKeySegment, type StateStore } from './types.js';

export const RECORD_FORMAT = 1;

export interface AppliedCommit {
  format: typeof RECORD_FORMAT;
  commit: string;
  appliedAt: number;
}

interface JobRecordDocument extends RecordedJob {
  format: typeof RECORD_FORMAT;
}

interface OpenDriftDocument {
  format: typeof RECORD_FORMAT;
  open: OpenDrift[];
}

const DRIFT_KEY = 'drift/open';
const jobKey = (id: JobId) => `jobs/${encodeKeySegment(id)}`;
const updateKey = (id: JobId) => `updates/${encodeKeySegment(id)}`;

export class Records {
  constructor(readonly store: StateStore) {}

  async applied(): Promise<AppliedCommit | null> {
    const found = await this.store.get<AppliedCommit>('applied');
    return found ? checkFormat('applied', found.value) : null;
  }

  async setApplied(commit: string, at: number): Promise<void> {
    await this.store.put('applied', { format: RECORD_FORMAT, commit, appliedAt: at } satisfies AppliedCommit);
  }

  async jobs(): Promise<RecordedJob[]> {
    const ids = (await this.store.list('jobs')).map(decodeKeySegment);
    const found = await this.store.getMany<JobRecordDocument>(ids.map(jobKey));
    return found.flatMap((entry, index) => {
      if (entry === null) return [];
      const { format: _format, ...job } = checkFormat(jobKey(ids[index]!), entry.value);
      return [job];
    });
  }

  async job(id: JobId): Promise<RecordedJob | null> {
    const found = await this.store.get<JobRecordDocument>(jobKey(id));
    if (!found) return null;
    const { format: _format, ...job } = checkFormat(jobKey(id), found.value);
    return job;
  }

  async putJob(job: RecordedJob): Promise<void> {
    await this.store.put(jobKey(job.id), { format: RECORD_FORMAT, ...job } satisfies JobRecordDocument);
  }

  /** Several jobs' records in one transaction: all of them or none. */
  async putJobs(jobs: readonly RecordedJob[]): Promise<void> {
    await this.store.transaction(
      jobs.map((job) => ({
        op: 'put',
        key: jobKey(job.id),
        value: { format: RECORD_FORMAT, ...job } satisfies JobRecordDocument,
      })),
    );
  }

  async deleteJob(id: JobId): Promise<void> {
    await this.store.delete(jobKey(id));
  }

  async rollouts(): Promise<RolloutState[]> {
    const ids = (await this.store.list('updates')).map(decodeKeySegment);
    const found = await this.store.getMany<RolloutState>(ids.map(updateKey));
    return found.filter((entry) => entry !== null).map((entry) => checkRolloutVersion(entry.value));
  }

  async putRollout(state: RolloutState): Promise<void> {
    await this.store.put(updateKey(state.jobId), state);
  }

  async deleteRollout(id: JobId): Promise<void> {
    await this.store.delete(updateKey(id));
  }

  async openDrift(): Promise<OpenDrift[]> {
    const found = await this.store.get<OpenDriftDocument>(DRIFT_KEY);
    return found ? checkFormat(DRIFT_KEY, found.value).open : [];
  }

  async putOpenDrift(open: readonly OpenDrift[]): Promise<void> {
    await this.store.put(DRIFT_KEY, { format: RECORD_FORMAT, open: [...open] } satisfies OpenDriftDocument);
  }
}

function checkFormat<T extends { format: number }>(key: string, value: T): T {
  if (value.format !== RECORD_FORMAT) {
    throw new Error(
      `state record ${key} has format ${String(value.format)}; this Borealis reads format ${RECORD_FORMAT}`,
    );
  }
  return value;
}

function checkRolloutVersion(state: RolloutState): RolloutState {
  if (state.version !== 1)
    throw new Error(`rollout record for ${state.jobId} has version ${String(state.version)}; expected 1`);
  return state;
}
