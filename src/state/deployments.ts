/**
 * The deployment log: one record per commit that reached the reconciler, newest last,
 * under `deployments/<sequence>`. A record is written when a deployment starts
 * (`in_progress`) and rewritten when it ends, so a reconciler that dies mid-way finds its
 * own unfinished record and completes it instead of writing a second one. The log is
 * bounded: past `limit` records the oldest are pruned, a few dozen at a time.
 */
import { BorealisError } from '../errors.js';
import type { Plan } from '../plan/types.js';
import type { Problem } from '../jobspec/types.js';
import { warn } from '../util/warnings.js';
import { withReasonCodes, type DeploymentReason, type JobReason } from './deployment-reasons.js';
import { checkRecord, deploymentShape } from './record-shapes.js';
import { StateConflictError, StateCorruptError, type StateStore, type Versioned } from './types.js';

export const DEPLOYMENT_FORMAT = 1;

export type Trigger = 'watch' | 'webhook' | 'poll' | 'manual' | 'resync';

export type Outcome =
  'in_progress' | 'succeeded' | 'failed' | 'rolled_back' | 'rejected' | 'superseded' | 'noop';

export interface Person {
  name: string;
  email: string;
}

export interface JobEvent {
  at: number;
  instance?: number;
  event: string;
  detail?: string;
}

export interface JobResultRecord {
  job: string;
  action: string;
  result: 'succeeded' | 'failed' | 'rolled_back' | 'superseded' | 'pending';
  /** Why the job's part did not succeed, as a code. */
  reason?: JobReason;
  message?: string;
  events: JobEvent[];
}

export interface DeploymentRecord {
  format: typeof DEPLOYMENT_FORMAT;
  /** Position in the log; increases by one per record. */
  sequence: number;
  commit: string;
  /** The commit applied before this one, if any. */
  parent_applied: string | null;
  author: Person;
  committer: Person;
  /** ISO 8601 commit date. */
  date: string;
  message: string;
  signature: {
    status: string;
    trusted: boolean;
    detail: string;
    /** ssh, gpg or x509, when the commit is signed. */
    format?: string;
    signer?: string;
    key?: string;
  };
  trigger: Trigger;
  cluster: string;
  outcome: Outcome;
  /** Why the outcome is what it is, as a code (see deployment-reasons.ts), when it is not plain success. */
  reason?: DeploymentReason;
  /** The same in one sentence, for a person. */
  detail?: string;
  /** The newer commit that superseded this one. */
  superseded_by?: string;
  plan?: Plan;
  /** When the plan was ready (ISO 8601, milliseconds): how long planning took, after `started_at`. */
  planned_at?: string;
  jobs: JobResultRecord[];
  errors: Problem[];
  /** What stopped the deployment when something other than the commit's problems did (an internal error, a crash). */
  error?: { code: string; message: string };
  /**
   * Set while a reconciler works on the commit and cleared when it ends or stops in an
   * orderly way: a record that still has it when a reconciler resumes it tells of a process
   * that died (killed, out of memory) in that phase.
   */
  attempt?: DeploymentAttempt;
  started_at: string;
  finished_at: string | null;
}

export interface DeploymentAttempt {
  phase: 'planning' | 'applying';
  /** ISO 8601: when this phase began. */
  since: string;
  /** Reconcilers that died while working on this commit before this one. */
  crashes: number;
  /** The process working on it (`THIS_PROCESS` of src/reconciler/attempts.ts). */
  process: string;
}

const PREFIX = 'deployments';
/**
 * Records past the limit pruned together (a tenth of the limit when that is fewer): the
 * store briefly holds up to that many more, never listed.
 */
const PRUNE_BATCH = 50;
const keyOf = (sequence: number) => `${PREFIX}/${String(sequence).padStart(12, '0')}`;
/** A record's name; anything else in the log's directory (an operator's copy, say) is not one. */
const SEQUENCE_NAME = /^\d{12}$/;

export class DeploymentLog {
  /**
   * The newest sequence this log wrote or read. Listing the log for it on every append cost
   * two listings of up to `limit` records (on ZooKeeper, a round trip per record); the
   * create-only write still catches another appender that got there first.
   */
  private newest: number | undefined;
  /** The oldest sequence still kept, once a prune has listed the log. */
  private oldest: number | undefined;

  constructor(
    private readonly store: StateStore,
    private readonly limit = 1000,
  ) {}

  /** Appends a record, taking the next sequence number; concurrent appenders never share one. */
  async append(record: Omit<DeploymentRecord, 'sequence' | 'format'>): Promise<DeploymentRecord> {
    for (;;) {
      const known = this.newest;
      const sequence = (known ?? (await this.lastSequence())) + 1;
      const full: DeploymentRecord = { format: DEPLOYMENT_FORMAT, sequence, ...record };
      try {
        await this.store.put(keyOf(sequence), full, null);
      } catch (error) {
        if (!(error instanceof StateConflictError)) throw error;
        this.newest = undefined;
        continue;
      }
      this.newest = sequence;
      await this.prune(sequence);
      return full;
    }
  }

  async update(record: DeploymentRecord): Promise<void> {
    await this.store.put(keyOf(record.sequence), record);
  }

  /**
   * Newest first. A record that cannot be read is left out with a warning: history is for
   * reading, and one damaged old record must not hide the others or stop a deployment.
   */
  async list(limit = 50): Promise<DeploymentRecord[]> {
    const names = (await this.sequenceNames()).reverse().slice(0, Math.min(limit, this.limit));
    const keys = names.map((name) => `${PREFIX}/${name}`);
    const found = await this.readAll(keys);
    return found.flatMap((entry, index) => {
      if (entry === null) return [];
      try {
        return [checkDeployment(this.store, keys[index]!, entry.value)];
      } catch (error) {
        if (!(error instanceof BorealisError)) throw error;
        warn(`skipped deployment record ${keys[index]}: ${error.message}`);
        return [];
      }
    });
  }

  /** The records, one at a time when one of them cannot even be decoded (it then reads as missing). */
  private async readAll(keys: readonly string[]): Promise<(Versioned | null)[]> {
    try {
      return await this.store.getMany(keys);
    } catch (error) {
      if (!(error instanceof StateCorruptError)) throw error;
    }
    const found: (Versioned | null)[] = [];
    for (const key of keys) {
      try {
        found.push(await this.store.get(key));
      } catch (error) {
        if (!(error instanceof StateCorruptError)) throw error;
        warn(`skipped deployment record ${key}: ${error.message}`);
        found.push(null);
      }
    }
    return found;
  }

  private async sequenceNames(): Promise<string[]> {
    return (await this.store.list(PREFIX)).filter((name) => SEQUENCE_NAME.test(name)).sort();
  }

  /** The newest record for a commit (full id or an unambiguous prefix of at least 4 characters). */
  async find(commit: string): Promise<DeploymentRecord | null> {
    const all = await this.list(this.limit);
    return (
      all.find(
        (record) => record.commit === commit || (commit.length >= 4 && record.commit.startsWith(commit)),
      ) ?? null
    );
  }

  /**
   * Records left `in_progress` for other commits by a reconciler that stopped before it
   * could record an outcome: `commit`, being deployed now, supersedes them.
   */
  async closeInterrupted(commit: string, at: number): Promise<void> {
    for (const record of await this.list(20)) {
      if (record.outcome !== 'in_progress' || record.commit === commit) continue;
      await this.update({
        ...record,
        outcome: 'superseded',
        superseded_by: commit,
        reason: 'INTERRUPTED',
        detail: 'interrupted before its outcome was recorded',
        finished_at: new Date(at).toISOString(),
      });
    }
  }

  /** The unfinished record of a commit, if a reconciler died while deploying it. */
  async unfinished(commit: string): Promise<DeploymentRecord | null> {
    return (
      (await this.list(20)).find((record) => record.commit === commit && record.outcome === 'in_progress') ??
      null
    );
  }

  private async lastSequence(): Promise<number> {
    const names = await this.sequenceNames();
    return names.length === 0 ? 0 : Number(names[names.length - 1]);
  }

  /**
   * Keeps the newest `limit` records. The first prune of this log lists it; later ones
   * delete PRUNE_BATCH at a time in one transaction, so an append costs one write, not two.
   */
  private async prune(newest: number): Promise<void> {
    try {
      await this.pruneBefore(newest);
    } catch (error) {
      // An old record that cannot be read cannot be deleted either; it must not stop deployments.
      if (!(error instanceof StateCorruptError)) throw error;
      warn(`old deployment records not pruned: ${error.message}`);
    }
  }

  private async pruneBefore(newest: number): Promise<void> {
    const keepFrom = newest - this.limit + 1;
    if (this.oldest === undefined) {
      const names = (await this.sequenceNames()).map(Number);
      this.oldest = Math.max(
        keepFrom,
        names.reduce((low, sequence) => Math.min(low, sequence), newest),
      );
      const stale = names.filter((sequence) => sequence < keepFrom);
      await Promise.all(stale.map((sequence) => this.store.delete(keyOf(sequence))));
      return;
    }
    if (keepFrom - this.oldest < Math.min(PRUNE_BATCH, Math.ceil(this.limit / 10))) return;
    const stale = Array.from({ length: keepFrom - this.oldest }, (_, i) => this.oldest! + i);
    await this.store.transaction(stale.map((sequence) => ({ op: 'delete', key: keyOf(sequence) })));
    this.oldest = keepFrom;
  }
}

/** A stored deployment record, checked (see record-shapes.ts), with reason codes if it was written before them. */
export function checkDeployment(store: StateStore, key: string, value: unknown): DeploymentRecord {
  return withReasonCodes(
    checkRecord<DeploymentRecord>(store, key, value, {
      shape: deploymentShape,
      format: DEPLOYMENT_FORMAT,
    }),
  );
}
