/**
 * One look for drift: the applied commit's jobs against what the cluster runs, the open
 * drifts moved along (`nextTransition`), the changes announced. Open drifts live in the
 * records, so a restarted daemon neither forgets an open drift nor announces it twice.
 */
import type { Cluster, ObservedTask } from '../cluster/types.js';
import { DEFAULT_DRIFT_POLICY, detectDrift, type DriftPolicy } from '../drift/detect.js';
import { nextTransition } from '../drift/transitions.js';
import type { CommitSummary, NotificationEvent } from '../notify/events.js';
import type { Records } from '../state/records.js';
import type { JobSpec } from '../jobspec/types.js';
import { driftEvent, groupChanges } from './announcements.js';
import { CronRecords } from '../cron/records.js';

export interface DriftCheckDeps {
  clusterName: string;
  cluster: Cluster;
  records: Records;
  notify?: (event: NotificationEvent) => void;
  /** The commit a drift is reported against, for its message. */
  commitSummary: (sha: string) => Promise<CommitSummary | undefined>;
  policy?: DriftPolicy;
  /** An open drift is announced again no more often than this. */
  reminderMs: number;
  now?: () => number;
}

export interface DriftLook {
  /** The applied commit and its jobs for this cluster; undefined before anything was applied. */
  applied?: { commit: string; jobs: readonly JobSpec[] };
  /** The branch head, when it is not applied, and why. */
  waiting?: { commit: string; detail: string };
  /** Tasks already read for this pass, so the cluster is not asked twice. */
  observed?: readonly ObservedTask[];
}

export class DriftCheck {
  /** Instances Borealis stopped before this daemon watched get the settle time to be relaunched. */
  private readonly watchingSince: number;

  constructor(private readonly deps: DriftCheckDeps) {
    this.watchingSince = (deps.now ?? Date.now)();
  }

  /** Looks, announces what changed, and says when to look again for drifts still undecided. */
  async run(look: DriftLook): Promise<{ recheckAt?: number }> {
    const now = (this.deps.now ?? Date.now)();
    const [observed, recorded, rollouts, open, cron] = await Promise.all([
      look.observed ?? this.deps.cluster.snapshot(),
      this.deps.records.jobs(),
      this.deps.records.rollouts(),
      this.deps.records.openDrift(),
      new CronRecords(this.deps.records.store).list(),
    ]);
    const detection = detectDrift({
      desired: look.applied?.jobs,
      recorded,
      rollouts,
      observed,
      waiting: look.waiting && { ...look.waiting, since: now },
      now,
      watchingSince: this.watchingSince,
      policy: this.deps.policy ?? DEFAULT_DRIFT_POLICY,
      cron,
    });
    const next = nextTransition(open, detection, now, this.deps.reminderMs);
    if (next.changes.length > 0 || next.open.length !== open.length)
      await this.deps.records.putOpenDrift(next.open);
    for (const change of groupChanges(next.changes)) {
      const sha = change.drift.kind === 'out-of-sync' ? change.drift.job : look.applied?.commit;
      const commit = sha ? await this.deps.commitSummary(sha) : undefined;
      this.deps.notify?.(driftEvent(change, this.deps.clusterName, now, commit));
    }
    return detection.recheckAt === undefined ? {} : { recheckAt: detection.recheckAt };
  }
}
