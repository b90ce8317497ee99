/**
 * The cron scheduler's records, `cron/<job id>` in the state store (see types.ts), read by
 * the scheduler, `status`, `history` and the metrics. Writes are conditional on the version
 * read, so two processes that both believe they lead can never both record one tick.
 */
import type { JobId } from '../jobspec/types.js';
import { checkRecord, fields } from '../state/record-shapes.js';
import { decodeKeySegment, encodeKeySegment, type StateStore } from '../state/types.js';
import { CRON_RECORD_FORMAT, type CronJobState } from './types.js';

const PREFIX = 'cron';
const cronKey = (id: JobId) => `${PREFIX}/${encodeKeySegment(id)}`;

export const cronShape = fields({
  jobId: 'string',
  lastTick: 'number',
  schedule: 'string',
  timezone: 'string',
  runs: 'array',
});

/** A job's cron record and the version it was read at (null: none yet). */
export interface VersionedCronState {
  state: CronJobState;
  version: number | null;
}

export class CronRecords {
  constructor(readonly store: StateStore) {}

  async get(id: JobId): Promise<VersionedCronState | undefined> {
    const found = await this.store.get(cronKey(id));
    if (!found) return undefined;
    return { state: this.check(id, found.value), version: found.version };
  }

  /** Every job's cron record, in job id order. */
  async list(): Promise<CronJobState[]> {
    return (await this.listVersioned()).map((entry) => entry.state);
  }

  /** Every job's cron record with the version it was read at, in job id order. */
  async listVersioned(): Promise<VersionedCronState[]> {
    const ids = (await this.store.list(PREFIX)).map(decodeKeySegment);
    const found = await this.store.getMany(ids.map(cronKey));
    return found.flatMap((entry, index) =>
      entry ? [{ state: this.check(ids[index]!, entry.value), version: entry.version }] : [],
    );
  }

  /**
   * Saves `state` if the record is still at `version` (null: if there is none); returns the
   * new version. A `StateConflictError` means someone else wrote it: read again.
   */
  async put(state: CronJobState, version: number | null): Promise<number> {
    return this.store.put(cronKey(state.jobId), state, version);
  }

  async delete(id: JobId): Promise<void> {
    await this.store.delete(cronKey(id));
  }

  private check(id: JobId, value: unknown): CronJobState {
    return checkCronRecord(this.store, cronKey(id), value);
  }
}

/** A `cron/<job id>` record as the scheduler reads it; anything else is a StateCorruptError. */
export function checkCronRecord(store: StateStore, key: string, value: unknown): CronJobState {
  return checkRecord<CronJobState>(store, key, value, { shape: cronShape, format: CRON_RECORD_FORMAT });
}
