/**
 * The typed records Borealis keeps, on top of any `StateStore`:
 *
 *   applied                  the last commit applied to the cluster
 *   jobs/<job id>            per job: the configuration last applied (RecordedJob)
 *   jobs-stamp               a new random token with every change to jobs/*, in the same transaction
 *   updates/<job id>         per job: an in-flight rollout, saved before every step
 *   drift/open               the drifts announced and not yet resolved (so a restart does not announce them again)
 *
 * Job ids are encoded into one key segment each. Every record carries a `version` field
 * of its own format, checked on read, so an older Borealis never misreads a newer record.
 */
import { BorealisError } from '../errors.js';
import { randomUUID } from 'node:crypto';
import type { RolloutState } from '../deploy/rollout.js';
import type { OpenDrift } from '../drift/transitions.js';
import type { RecordedJob } from '../plan/types.js';
import type { JobId } from '../spec/types.js';
import type { RecordsSnapshot } from './records-snapshot.js';
import { decodeKeySegment, encodeKeySegment, type StateOperation, type StateStore } from './types.js';

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

interface JobsStampDocument {
  format: typeof RECORD_FORMAT;
  token: string;
}

const DRIFT_KEY = 'drift/open';
const JOBS_STAMP_KEY = 'jobs-stamp';
const jobKey = (id: JobId) => `jobs/${encodeKeySegment(id)}`;
const updateKey = (id: JobId) => `updates/${encodeKeySegment(id)}`;

export class Records {
  /**
   * The job records as of a stamp token. Reading 10,000 job records costs about half a
   * second and a daemon reads them several times a pass; the stamp costs one read. Any
   * writer, this process or another, changes the token with the records it writes.
   */
  private jobsCache: { token: string; jobs: readonly RecordedJob[] } | undefined;

  /** `snapshot`: where this machine keeps the job records between processes (see records-snapshot.ts). */
  constructor(
    readonly store: StateStore,
    private readonly snapshot?: RecordsSnapshot,
  ) {}

  async applied(): Promise<AppliedCommit | null> {
    const found = await this.store.get<AppliedCommit>('applied');
    return found ? checkFormat('applied', found.value) : null;
  }

  async setApplied(commit: string, at: number): Promise<void> {
    await this.store.put('applied', { format: RECORD_FORMAT, commit, appliedAt: at } satisfies AppliedCommit);
  }

  /** Shared between callers while nothing changes: read, never modify. */
  async jobs(): Promise<readonly RecordedJob[]> {
    // The stamp is read before the records: a write in between changes it, so the next call reads again.
    const token = (await this.store.get<JobsStampDocument>(JOBS_STAMP_KEY))?.value.token;
    if (token === undefined) {
      this.jobsCache = undefined;
      return this.readJobs();
    }
    if (this.jobsCache?.token === token) return this.jobsCache.jobs;
    const saved = this.snapshot?.read(token);
    const jobs = saved ?? (await this.readJobs());
    if (!saved) await this.snapshot?.write(token, jobs);
    this.jobsCache = { token, jobs };
    return jobs;
  }

  private async readJobs(): Promise<RecordedJob[]> {
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
    await this.putJobs([job]);
  }

  /** Several jobs' records in one transaction: all of them or none. */
  async putJobs(jobs: readonly RecordedJob[]): Promise<void> {
    const operations = jobs.map((job) => ({
      op: 'put' as const,
      key: jobKey(job.id),
      value: { format: RECORD_FORMAT, ...job } satisfies JobRecordDocument,
    }));
    await this.changeJobs(operations, (cached) => {
      const byId = new Map(cached.map((job, index) => [job.id, index]));
      if (jobs.some((job) => !byId.has(job.id))) return undefined; // a new record: read them again, in order
      const next = [...cached];
      for (const job of jobs) next[byId.get(job.id)!] = JSON.parse(JSON.stringify(job)) as RecordedJob;
      return next;
    });
  }

  async deleteJob(id: JobId): Promise<void> {
    await this.changeJobs([{ op: 'delete', key: jobKey(id) }], (cached) =>
      cached.filter((job) => job.id !== id),
    );
  }

  /**
   * The write and a new stamp, in one transaction. When the cached records were current
   * just before it (nobody else wrote since they were read; only the leader writes), the
   * cache takes the change itself: every other record keeps its object, so what the
   * planner decided from it stays valid, and the next pass need not read 10,000 again.
   */
  private async changeJobs(
    operations: StateOperation[],
    apply: (cached: readonly RecordedJob[]) => readonly RecordedJob[] | undefined,
  ): Promise<void> {
    const cache = this.jobsCache;
    this.jobsCache = undefined;
    const current = cache && (await this.store.get<JobsStampDocument>(JOBS_STAMP_KEY))?.value.token;
    const stamp: JobsStampDocument = { format: RECORD_FORMAT, token: randomUUID() };
    await this.store.transaction([...operations, { op: 'put', key: JOBS_STAMP_KEY, value: stamp }]);
    const jobs = cache && current === cache.token ? apply(cache.jobs) : undefined;
    if (jobs) this.jobsCache = { token: stamp.token, jobs };
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
    throw new BorealisError(
      'STATE_FORMAT',
      `state record ${key} has format ${String(value.format)}; this Borealis reads format ${RECORD_FORMAT}`,
      { hint: 'run the Borealis version that wrote this state, or point --state at another one' },
    );
  }
  return value;
}

function checkRolloutVersion(state: RolloutState): RolloutState {
  if (state.version !== 1)
    throw new Error(`rollout record for ${state.jobId} has version ${String(state.version)}; expected 1`);
  return state;
}
