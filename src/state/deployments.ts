/**
 * The deployment log: one record per commit that reached the reconciler, newest last,
 * under `deployments/<sequence>`. A record is written when a deployment starts
 * (`in_progress`) and rewritten when it ends, so a reconciler that dies mid-way finds its
 * own unfinished record and completes it instead of writing a second one. The log is
 * bounded: past `limit` records the oldest are pruned.
 */
import type { Plan } from '../plan/types.js';
import type { Problem } from '../spec/types.js';
import { StateConflictError, type StateStore } from './types.js';

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
  signature: { status: string; trusted: boolean; detail: string; signer?: string; key?: string };
  trigger: Trigger;
  cluster: string;
  outcome: Outcome;
  /** Why the outcome is what it is, in one sentence, when it is not plain success. */
  reason?: string;
  /** The newer commit that superseded this one. */
  superseded_by?: string;
  plan?: Plan;
  jobs: JobResultRecord[];
  errors: Problem[];
  started_at: string;
  finished_at: string | null;
}

const PREFIX = 'deployments';
const keyOf = (sequence: number) => `${PREFIX}/${String(sequence).padStart(12, '0')}`;

export class DeploymentLog {
  constructor(
    private readonly store: StateStore,
    private readonly limit = 1000,
  ) {}

  /** Appends a record, taking the next sequence number; concurrent appenders never share one. */
  async append(record: Omit<DeploymentRecord, 'sequence' | 'format'>): Promise<DeploymentRecord> {
    for (;;) {
      const sequence = (await this.lastSequence()) + 1;
      const full: DeploymentRecord = { format: DEPLOYMENT_FORMAT, sequence, ...record };
      try {
        await this.store.put(keyOf(sequence), full, null);
        await this.prune(sequence);
        return full;
      } catch (error) {
        if (!(error instanceof StateConflictError)) throw error;
      }
    }
  }

  async update(record: DeploymentRecord): Promise<void> {
    await this.store.put(keyOf(record.sequence), record);
  }

  /** Newest first. */
  async list(limit = 50): Promise<DeploymentRecord[]> {
    const names = (await this.store.list(PREFIX)).sort().reverse().slice(0, limit);
    const found = await Promise.all(
      names.map((name) => this.store.get<DeploymentRecord>(`${PREFIX}/${name}`)),
    );
    return found.filter((entry) => entry !== null).map((entry) => entry.value);
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

  /** The unfinished record of a commit, if a reconciler died while deploying it. */
  async unfinished(commit: string): Promise<DeploymentRecord | null> {
    return (
      (await this.list(20)).find((record) => record.commit === commit && record.outcome === 'in_progress') ??
      null
    );
  }

  private async lastSequence(): Promise<number> {
    const names = await this.store.list(PREFIX);
    return names.length === 0 ? 0 : Math.max(...names.map(Number));
  }

  private async prune(newest: number): Promise<void> {
    const names = (await this.store.list(PREFIX))
      .map(Number)
      .filter((sequence) => sequence <= newest - this.limit);
    await Promise.all(names.map((sequence) => this.store.delete(keyOf(sequence))));
  }
}
