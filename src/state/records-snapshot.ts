/**
 * The job records as of one jobs-stamp token, in one local file: a process that starts
 * (every `plan`) reads one file instead of every job record (slow from a directory, slower
 * from ZooKeeper). It is a cache, never the truth: it is used only while the
 * store's stamp still holds its token, and every writer replaces the token with its write.
 *
 * A snapshot's records were read after its token was: a write in between changes the stamp
 * for good (tokens are random, never reused), so a snapshot mixing two states is never used.
 */
import { readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { RecordedJob } from '../plan/types.js';
import { replaceFile } from '../util/durable-file.js';
import { warn } from '../util/warnings.js';
import { jobRecordShape } from './record-shapes.js';

/** Bumped whenever what a snapshot holds changes; also when RecordedJob's shape does. */
const SNAPSHOT_FORMAT = 1;

interface SnapshotDocument {
  format: number;
  token: string;
  jobs: RecordedJob[];
}

export class RecordsSnapshot {
  constructor(readonly file: string) {}

  /** The records saved with `token`, or undefined when the file holds another state or none. */
  read(token: string): readonly RecordedJob[] | undefined {
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8'); // synchronously, as the spec cache is read
    } catch {
      return undefined;
    }
    // The token is near the start: a stale snapshot is recognised without parsing it all.
    if (!text.slice(0, 200).includes(JSON.stringify(token))) return undefined;
    let document: SnapshotDocument;
    try {
      document = JSON.parse(text) as SnapshotDocument;
    } catch (error) {
      // A torn file is only a missed cache.
      warn(
        `job records snapshot ${this.file} is unreadable (${(error as Error).message}); records read from the state instead`,
      );
      return undefined;
    }
    if (document.format !== SNAPSHOT_FORMAT || document.token !== token) return undefined;
    const damaged = Array.isArray(document.jobs)
      ? document.jobs.find((job) => !isJobRecord(job))
      : document.jobs;
    if (damaged === undefined) return document.jobs;
    warn(
      `job records snapshot ${this.file} holds something that is not a job record; records read from the state instead`,
    );
    return undefined;
  }

  /** A snapshot that cannot be written only makes the next process read every record. */
  async write(token: string, jobs: readonly RecordedJob[]): Promise<void> {
    const document: SnapshotDocument = { format: SNAPSHOT_FORMAT, token, jobs: [...jobs] };
    try {
      await mkdir(dirname(this.file), { recursive: true });
      await replaceFile(this.file, JSON.stringify(document));
    } catch {
      // see above
    }
  }
}

function isJobRecord(job: unknown): boolean {
  return (
    typeof job === 'object' && job !== null && jobRecordShape(job as Record<string, unknown>) === undefined
  );
}
