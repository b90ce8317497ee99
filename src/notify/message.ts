/**
 * What a message says, before any chat service's syntax: the title, the one sentence that
 * matters, facts and lists. Slack, Mattermost and Teams render this same content, so the
 * wording of a notification lives here once and the sinks only differ in markup.
 */
import {
  severityOf,
  type DeploymentEvent,
  type CronRunEvent,
  type DriftEvent,
  type NotificationEvent,
  type Severity,
} from './events.js';

export interface Fact {
  title: string;
  value: string;
  /** Short facts sit side by side where the service can lay them out so. */
  short: boolean;
  link?: string;
}

export interface List {
  title: string;
  items: string[];
  /** How many items were left out to keep the message readable. */
  omitted: number;
}

export interface Message {
  severity: Severity;
  title: string;
  /** One plain line for notifications, previews and clients that show no cards. */
  headline: string;
  /** The commit's web page, when known. */
  link: string | undefined;
  /** The sentence that matters most: the commit title, the failure's reason, the drift. */
  body: string;
  facts: Fact[];
  lists: List[];
  at: number;
}

export const MAX_PROBLEMS = 5;
export const MAX_JOBS = 20;
const MAX_LINE = 300;

export function messageOf(event: NotificationEvent): Message {
  if (event.type === 'deployment') return deploymentMessage(event);
  if (event.type === 'cron_run') return cronRunMessage(event);
  return driftMessage(event);
}

export function shortSha(sha: string): string {
  return sha.slice(0, 7);
}

const DEPLOYMENT_TITLES: Record<DeploymentEvent['status'], (sha: string, cluster: string) => string> = {
  started: (sha, cluster) => `Deploying ${sha} to ${cluster}`,
  succeeded: (sha, cluster) => `Deployed ${sha} to ${cluster}`,
  failed: (sha, cluster) => `Deployment of ${sha} to ${cluster} failed`,
  rolled_back: (sha, cluster) => `Rolled back ${sha} on ${cluster}`,
  rejected: (sha) => `Commit ${sha} rejected`,
};

function deploymentMessage(event: DeploymentEvent): Message {
  const { commit } = event;
  const title = DEPLOYMENT_TITLES[event.status](shortSha(commit.sha), event.cluster);
  const facts: Fact[] = [
    { title: 'Cluster', value: event.cluster, short: true },
    { title: 'Commit', value: shortSha(commit.sha), short: true, ...linkOf(commit.url) },
    { title: 'Author', value: commit.author.name, short: true },
  ];
  if (event.summary !== undefined) facts.push({ title: 'Plan', value: event.summary, short: false });
  if (event.detail !== undefined) facts.push({ title: 'Reason', value: clip(event.detail), short: false });
  const lists = [
    listOf('Validation problems', event.problems, MAX_PROBLEMS),
    listOf('Jobs', event.jobs, MAX_JOBS),
  ].filter((list) => list !== undefined);
  return {
    severity: severityOf(event),
    title,
    headline: `${title} — ${clip(event.detail ?? commit.title)}`,
    link: commit.url,
    body: clip(commit.title),
    facts,
    lists,
    at: event.at,
  };
}

const DRIFT_VERBS: Record<DriftEvent['status'], string> = {
  opened: 'Drift opened',
  resolved: 'Drift resolved',
  reminder: 'Drift still open',
};

const DRIFT_WORDS: Record<DriftEvent['kind'], string> = {
  missing: 'missing',
  flapping: 'flapping',
  unexpected: 'unexpected',
  config: 'config differs',
  'out-of-sync': 'out of sync',
  stuck: 'stuck',
  missed_run: 'missed cron runs',
};

function driftMessage(event: DriftEvent): Message {
  const subject = event.instance === undefined ? event.job : `${event.job}/${event.instance}`;
  const title = `${DRIFT_VERBS[event.status]}: ${subject} ${DRIFT_WORDS[event.kind]}`;
  const facts: Fact[] = [
    { title: 'Cluster', value: event.cluster, short: true },
    { title: 'Job', value: subject, short: true },
    { title: 'Since', value: sinceText(event), short: false },
  ];
  if (event.commit !== undefined) {
    const value = `${shortSha(event.commit.sha)} ${clip(event.commit.title)}`;
    facts.push({ title: 'Commit', value, short: false, ...linkOf(event.commit.url) });
  }
  return {
    severity: severityOf(event),
    title,
    headline: `${title} — ${clip(event.detail)}`,
    link: event.commit?.url,
    body: clip(event.detail),
    facts,
    lists: [],
    at: event.at,
  };
}

function cronRunMessage(event: CronRunEvent): Message {
  const title = `Cron run failed: ${event.job}`;
  const facts: Fact[] = [
    { title: 'Cluster', value: event.cluster, short: true },
    { title: 'Run', value: event.run, short: true },
    { title: 'Scheduled', value: utcMinute(event.scheduled_at), short: true },
  ];
  if (event.commit !== undefined) facts.push({ title: 'Commit', value: shortSha(event.commit), short: true });
  return {
    severity: severityOf(event),
    title,
    headline: `${title} — ${clip(event.detail)}`,
    link: undefined,
    body: clip(event.detail),
    facts,
    lists: [],
    at: event.at,
  };
}

/** Measured to the event, not to the moment a retried message finally arrives. */
function sinceText(event: DriftEvent): string {
  const lasted = formatDuration(event.at - event.since);
  const start = utcMinute(event.since);
  return event.status === 'resolved' ? `${start} (lasted ${lasted})` : `${start} (open for ${lasted})`;
}

export function utcMinute(epochMs: number): string {
  return `${new Date(epochMs).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** `45 s`, `12 min`, `3 h 20 min`, `2 d 4 h`: two units at most, as people say it. */
export function formatDuration(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return minutes % 60 === 0 ? `${hours} h` : `${hours} h ${minutes % 60} min`;
  const days = Math.floor(hours / 24);
  return hours % 24 === 0 ? `${days} d` : `${days} d ${hours % 24} h`;
}

function listOf(title: string, items: string[] | undefined, max: number): List | undefined {
  if (items === undefined || items.length === 0) return undefined;
  return {
    title,
    items: items.slice(0, max).map((item) => clip(item)),
    omitted: Math.max(0, items.length - max),
  };
}

function linkOf(url: string | undefined): { link: string } | Record<string, never> {
  return url === undefined ? {} : { link: url };
}

/** Event text comes from commits and clusters: one absurd line must not swamp a channel. */
export function clip(text: string, max = MAX_LINE): string {
  const line = text.replace(/\s*\n\s*/g, ' ');
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}
