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
import { randomUUID } from 'node:crypto';
import type { RolloutState } from '../deploy/rollout.js';
import type { OpenDrift } from '../drift/transitions.js';
import type { RecordedJob } from '../plan/types.js';
import type { JobId } from '../jobspec/types.js';
import { warn } from '../util/warnings.js';
import {
  appliedShape,
  checkRecord,
  jobRecordShape,
  jobsStampShape,
  openDriftShape,
  rolloutShape,
  type ShapeCheck,
} from './record-shapes.js';
import type { RecordsSnapshot } from './records-snapshot.js';
import {
  decodeKeySegment,
  encodeKeySegment,
  StateCorruptError,
  type StateOperation,
  type StateStore,
} from './types.js';

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
   * The job records as of a stamp token. Reading a large repository's job records is slow
   * and a daemon reads them several times a pass; the stamp costs one read. Any
   * writer, this process or another, changes the token with the records it writes.
   */
  private jobsCache: { token: string; jobs: readonly RecordedJob[] } | undefined;

  /**
   * `snapshot`: where this machine keeps the job records between processes (see
   * records-snapshot.ts). `asideDir`: where an unreadable record that can be rebuilt on the
   * spot (the jobs stamp) is moved; without it such a record is reported like any other.
   */
  constructor(
    readonly store: StateStore,
    private readonly snapshot?: RecordsSnapshot,
    private readonly asideDir?: string,
  ) {}

  async applied(): Promise<AppliedCommit | null> {
    const found = await this.store.get('applied');
    return found ? this.check<AppliedCommit>('applied', found.value, appliedShape) : null;
  }

  async setApplied(commit: string, at: number): Promise<void> {
    await this.store.put('applied', { format: RECORD_FORMAT, commit, appliedAt: at } satisfies AppliedCommit);
  }

  /** Shared between callers while nothing changes: read, never modify. */
  async jobs(): Promise<readonly RecordedJob[]> {
    // The stamp is read before the records: a write in between changes it, so the next call reads again.
    const token = await this.stampToken();
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

  /**
   * The stamp's token. The stamp is only a change counter, so an unreadable one is moved
   * aside with a warning and read as missing: the records are then read in full, and the
   * next write of job records writes a new stamp.
   */
  private async stampToken(): Promise<string | undefined> {
    try {
      const found = await this.store.get(JOBS_STAMP_KEY);
      return found
        ? this.check<JobsStampDocument>(JOBS_STAMP_KEY, found.value, jobsStampShape).token
        : undefined;
    } catch (error) {
      if (!(error instanceof StateCorruptError) || this.asideDir === undefined) throw error;
      const moved = await this.store.setAside(JOBS_STAMP_KEY, this.asideDir);
      warn(
        `${error.message}; it only marks changes, so it was moved to ${moved ?? '(gone already)'} and will be written again`,
      );
      return undefined;
    }
  }

  private async readJobs(): Promise<RecordedJob[]> {
    const ids = (await this.store.list('jobs')).map(decodeKeySegment);
    const found = await this.store.getMany(ids.map(jobKey));
    return found.flatMap((entry, index) => (entry === null ? [] : [this.jobOf(ids[index]!, entry.value)]));
  }

  async job(id: JobId): Promise<RecordedJob | null> {
    const found = await this.store.get(jobKey(id));
    return found ? this.jobOf(id, found.value) : null;
  }

  private jobOf(id: JobId, value: unknown): RecordedJob {
    const { format: _format, ...job } = this.check<JobRecordDocument>(jobKey(id), value, jobRecordShape);
    if (job.id !== id)
      throw new StateCorruptError(
        jobKey(id),
        this.store.locate(jobKey(id)),
        new Error(`it holds the record of ${job.id}`),
      );
    return job;
  }

  /**
   * Reads, from the store itself (never a snapshot), every record a deployment of these
   * jobs may write, so that a damaged one stops it before anything changes on the cluster
   * rather than after, half-way through recording what it did.
   */
  async checkWritable(ids: readonly JobId[]): Promise<void> {
    await this.applied();
    await this.stampToken();
    const found = await this.store.getMany(ids.map(jobKey));
    found.forEach((entry, index) => entry && this.jobOf(ids[index]!, entry.value));
    const rollouts = await this.store.getMany(ids.map(updateKey));
    rollouts.forEach(
      (entry, index) => entry && this.check(updateKey(ids[index]!), entry.value, rolloutShape, 'version'),
    );
  }

  private check<T>(key: string, value: unknown, shape: ShapeCheck, formatField?: string): T {
    return checkRecord<T>(this.store, key, value, { shape, format: RECORD_FORMAT, formatField });
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
   * planner decided from it stays valid, and the next pass need not read them all again.
   */
  private async changeJobs(
    operations: StateOperation[],
    apply: (cached: readonly RecordedJob[]) => readonly RecordedJob[] | undefined,
  ): Promise<void> {
    const cache = this.jobsCache;
    this.jobsCache = undefined;
    const current = cache && (await this.stampToken());
    const stamp: JobsStampDocument = { format: RECORD_FORMAT, token: randomUUID() };
    await this.store.transaction([...operations, { op: 'put', key: JOBS_STAMP_KEY, value: stamp }]);
    const jobs = cache && current === cache.token ? apply(cache.jobs) : undefined;
    if (jobs) this.jobsCache = { token: stamp.token, jobs };
  }

  async rollouts(): Promise<RolloutState[]> {
    const ids = (await this.store.list('updates')).map(decodeKeySegment);
    const found = await this.store.getMany(ids.map(updateKey));
    return found.flatMap((entry, index) =>
      entry === null
        ? []
        : [this.check<RolloutState>(updateKey(ids[index]!), entry.value, rolloutShape, 'version')],
    );
  }

  async putRollout(state: RolloutState): Promise<void> {
    await this.store.put(updateKey(state.jobId), state);
  }

  async deleteRollout(id: JobId): Promise<void> {
    await this.store.delete(updateKey(id));
  }

  async openDrift(): Promise<OpenDrift[]> {
    const found = await this.store.get(DRIFT_KEY);
    return found ? this.check<OpenDriftDocument>(DRIFT_KEY, found.value, openDriftShape).open : [];
  }

  async putOpenDrift(open: readonly OpenDrift[]): Promise<void> {
    await this.store.put(DRIFT_KEY, { format: RECORD_FORMAT, open: [...open] } satisfies OpenDriftDocument);
  }
}
