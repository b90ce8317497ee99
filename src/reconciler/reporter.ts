/**
 * What the watch daemon tells the world as it works: deployments worth a message, drift
 * (looked for before a resync heals, so what went missing is seen, and after every
 * deployment), and why the branch head waits when it is not applied. The daemon says when
 * to look; the reporter decides what to say and says it, and never fails a pass.
 */
import type { Cluster, ObservedTask } from '../cluster/types.js';
import type { DriftPolicy } from '../drift/detect.js';
import type { CommitSummary, NotificationEvent } from '../notify/events.js';
import { summaryLine } from '../plan/describe.js';
import type { Plan } from '../plan/types.js';
import type { TrackedSource } from '../source/tracked.js';
import type { CommitLoader } from './commit-loader.js';
import type { JobSpec } from '../jobspec/types.js';
import type { DeploymentRecord } from '../state/deployments.js';
import type { Records } from '../state/records.js';
import { commitSummary, finishedEvent, startedEvent } from './announcements.js';
import { DriftCheck } from './drift-check.js';
import { jobsFor, planPass } from './reconcile.js';

export interface ReporterDeps {
  source: TrackedSource;
  clusterName: string;
  cluster: Cluster;
  records: Records;
  log: (line: string) => void;
  notify?: (event: NotificationEvent) => void;
  commitUrl?: (sha: string) => string | undefined;
  policy?: DriftPolicy;
  reminderMs: number;
  now?: () => number;
  loader: CommitLoader;
}

/** What a look for drift is about: the head of the branch and, when known, its record. */
export interface Situation {
  head: string;
  headRecord: DeploymentRecord | undefined;
  /** The applied commit's jobs (all clusters); undefined before anything was applied. */
  applied: { commit: string; jobs: readonly JobSpec[] } | undefined;
  /** The tasks the pass judges by, when it has read them: drift and the plan then agree. */
  observed?: readonly ObservedTask[];
}

export class Reporter {
  private readonly drift: DriftCheck;
  private readonly commits = new Map<string, CommitSummary>();
  /** With auto-apply off: what applying a waiting head would do, planned once per head. */
  private preview: { commit: string; detail: string } | undefined;

  constructor(private readonly deps: ReporterDeps) {
    this.drift = new DriftCheck({ ...deps, commitSummary: (sha) => this.commitSummary(sha) });
  }

  async deploymentStarted(plan: Plan): Promise<void> {
    if (!this.deps.notify) return;
    const started = startedEvent(plan, await this.commitSummary(plan.commit), this.now());
    if (started) this.deps.notify(started);
  }

  async deploymentFinished(record: DeploymentRecord): Promise<void> {
    if (!this.deps.notify) return;
    const finished = finishedEvent(record, await this.commitSummary(record.commit), this.now());
    if (finished) this.deps.notify(finished);
  }

  /** Looks for drift and announces what changed; returns when to look again, if a drift is undecided. */
  async lookForDrift(situation: Situation): Promise<number | undefined> {
    try {
      const applied = situation.applied && {
        commit: situation.applied.commit,
        jobs: jobsFor(situation.applied.jobs, this.deps.clusterName),
      };
      const waiting = await this.waitingHead(situation);
      return (await this.drift.run({ applied, waiting, observed: situation.observed })).recheckAt;
    } catch (error) {
      this.deps.log(`drift check failed: ${error instanceof Error ? error.message : String(error)}`);
      return undefined;
    }
  }

  /** Why the branch head is not the applied commit, when it is not (and not being deployed). */
  private async waitingHead({
    head,
    headRecord,
    applied,
  }: Situation): Promise<{ commit: string; detail: string } | undefined> {
    if (head === applied?.commit || headRecord?.outcome === 'in_progress') return undefined;
    const short = head.slice(0, 12);
    if (headRecord?.outcome === 'rejected')
      return { commit: head, detail: `branch head ${short} was rejected: ${headRecord.detail ?? ''}` };
    if (headRecord?.error)
      return {
        commit: head,
        detail: `branch head ${short} failed: ${headRecord.detail ?? headRecord.error.message}`,
      };
    if (headRecord) return undefined; // superseded, or applied under another path: nothing waits
    if (this.preview?.commit !== head) this.preview = { commit: head, detail: await this.previewOf(head) };
    return this.preview;
  }

  /** With auto-apply off: what applying the waiting head would do, for its announcement. */
  private async previewOf(head: string): Promise<string> {
    const short = head.slice(0, 12);
    const repository = await this.deps.loader.load(head);
    if (repository.problems.length > 0)
      return `branch head ${short} is not applied and is invalid (${repository.problems.length} problem(s))`;
    const plan = await planPass({
      commit: head,
      clusterName: this.deps.clusterName,
      jobs: repository.jobs,
      cluster: this.deps.cluster,
      records: this.deps.records,
      now: this.deps.now,
    });
    return `branch head ${short} is not applied: ${summaryLine(plan)} borealis reconcile or POST /api/sync applies it (auto-apply is off)`;
  }

  private async commitSummary(sha: string): Promise<CommitSummary> {
    const known = this.commits.get(sha);
    if (known) return known;
    const summary = commitSummary(await this.deps.source.commit(sha), this.deps.commitUrl?.(sha));
    this.commits.set(sha, summary);
    return summary;
  }

  private now(): number {
    return (this.deps.now ?? Date.now)();
  }
}
