/**
 * What Borealis tells people: the events a sink turns into a chat message. They are
 * self-contained summaries, so `src/notify/` knows nothing about records or clusters, and
 * deciding *whether* to tell (deduplication, reminders) happens before an event is made.
 */

export interface CommitSummary {
  sha: string;
  /** The first line of the commit message. */
  title: string;
  author: { name: string; email: string };
  /** A web page of the commit, when the repository's host is known (GitHub, GitLab, a template). */
  url?: string;
}

export type DeploymentStatus = 'started' | 'succeeded' | 'failed' | 'rolled_back' | 'rejected';

export interface DeploymentEvent {
  type: 'deployment';
  status: DeploymentStatus;
  cluster: string;
  commit: CommitSummary;
  /** `Plan: 1 to create, 2 to update, 0 to kill.` */
  summary?: string;
  /** Why it failed, rolled back or was rejected, as the deployment record's code (`ROLLED_BACK`, `UNTRUSTED`…). */
  reason?: string;
  /** The same in one sentence. */
  detail?: string;
  /** For a rejected commit: its first validation problems, `file:line:col: message`. */
  problems?: string[];
  /** Per job, for a finished deployment: `local/www-data/prod/web: rolled back (…)`. */
  jobs?: string[];
  /** Epoch milliseconds. */
  at: number;
}

export type DriftKind =
  | 'missing'
  | 'flapping'
  | 'unexpected'
  | 'config'
  | 'out-of-sync'
  | 'stuck'
  /** A cron job's ticks passed with no scheduler running: they were not run. */
  | 'missed_run';

export type DriftStatus = 'opened' | 'resolved' | 'reminder';

export interface DriftEvent {
  type: 'drift';
  status: DriftStatus;
  cluster: string;
  kind: DriftKind;
  /** Stable identity `kind:job[/instance]`: one conversation per drift. */
  id: string;
  job: string;
  instance?: number;
  /** What differs, in one sentence. */
  detail: string;
  /** Epoch milliseconds the drift was first seen. */
  since: number;
  /** The applied commit the cluster is compared with (for out-of-sync: the one waiting). */
  commit?: CommitSummary;
  at: number;
}

/** A cron run that failed: told once, when the scheduler records its end. */
export interface CronRunEvent {
  type: 'cron_run';
  status: 'failed';
  cluster: string;
  job: string;
  /** The run's id, e.g. `schedule-20261208T030000Z`. */
  run: string;
  trigger: 'schedule' | 'manual';
  /** Epoch milliseconds of the tick (or of the run-now request). */
  scheduled_at: number;
  /** Which instances failed, in one sentence. */
  detail: string;
  /** The commit whose configuration the run ran. */
  commit?: string;
  at: number;
}

export type NotificationEvent = DeploymentEvent | DriftEvent | CronRunEvent;

/** How bad it is, for colours and titles: every sink speaks the same three levels. */
export type Severity = 'good' | 'warning' | 'danger';

export function severityOf(event: NotificationEvent): Severity {
  if (event.type === 'drift') return event.status === 'resolved' ? 'good' : 'warning';
  if (event.type === 'cron_run') return 'danger';
  if (event.status === 'succeeded') return 'good';
  if (event.status === 'started') return 'warning';
  return 'danger';
}
