/** Events as the daemon makes them, one per kind. */
import type {
  CommitSummary,
  DeploymentEvent,
  DriftEvent,
  NotificationEvent,
  Severity,
} from '../../src/notify/events.js';

export const AT = Date.UTC(2024, 4, 1, 15, 20);
const SHA = 'abc1234def5678abc1234def5678abc1234def56';

export const COMMIT: CommitSummary = {
  sha: SHA,
  title: 'Raise web to 3 instances',
  author: { name: 'Ada Lovelace', email: 'ada@example.com' },
  url: `https://github.com/acme/jobs/commit/${SHA}`,
};

export function deployment(
  status: DeploymentEvent['status'],
  extra: Partial<DeploymentEvent> = {},
): DeploymentEvent {
  return { type: 'deployment', status, cluster: 'west', commit: COMMIT, at: AT, ...extra };
}

export const FAILED = deployment('failed', {
  summary: 'Plan: 1 to create, 2 to update, 0 to kill.',
  reason: 'ROLLOUT_FAILED',
  detail: 'local/www/prod/web: instance 2 never became healthy',
  jobs: ['local/www/prod/web: failed (instance 2 never became healthy)', 'local/www/prod/api: updated'],
});

export const REJECTED = deployment('rejected', {
  reason: 'INVALID',
  detail: 'the commit does not validate',
  problems: Array.from({ length: 7 }, (_, i) => `jobs/web.yaml:${i + 1}:3: unknown field "instancez"`),
});

export function drift(status: DriftEvent['status'], extra: Partial<DriftEvent> = {}): DriftEvent {
  return {
    type: 'drift',
    status,
    cluster: 'west',
    kind: 'missing',
    id: 'missing:local/www/prod/web/2',
    job: 'local/www/prod/web',
    instance: 2,
    detail: 'instance 2 has no running task',
    since: AT - (3 * 60 + 20) * 60_000,
    commit: COMMIT,
    at: AT,
    ...extra,
  };
}

/** Every status of both event types, for tests that must hold for all of them. */
export const EVERY_EVENT: [string, NotificationEvent][] = [
  ['deployment started', deployment('started', { summary: 'Plan: 1 to create, 0 to update, 0 to kill.' })],
  ['deployment succeeded', deployment('succeeded', { jobs: ['local/www/prod/web: updated'] })],
  ['deployment failed', FAILED],
  [
    'deployment rolled back',
    deployment('rolled_back', {
      reason: 'ROLLED_BACK',
      detail: 'health checks failed',
      jobs: ['a: rolled back'],
    }),
  ],
  ['commit rejected', REJECTED],
  ['drift opened', drift('opened')],
  ['drift resolved', drift('resolved')],
  ['drift reminder', drift('reminder')],
];

/** Each status's severity and title, the same on every chat sink. */
export const TITLES: [string, NotificationEvent, Severity, string][] = [
  ['started', deployment('started'), 'warning', 'Deploying abc1234 to west'],
  ['succeeded', deployment('succeeded'), 'good', 'Deployed abc1234 to west'],
  ['failed', FAILED, 'danger', 'Deployment of abc1234 to west failed'],
  ['rolled back', deployment('rolled_back'), 'danger', 'Rolled back abc1234 on west'],
  ['rejected', REJECTED, 'danger', 'Commit abc1234 rejected'],
  ['drift opened', drift('opened'), 'warning', 'Drift opened: local/www/prod/web/2 missing'],
  ['drift resolved', drift('resolved'), 'good', 'Drift resolved: local/www/prod/web/2 missing'],
  ['drift reminder', drift('reminder'), 'warning', 'Drift still open: local/www/prod/web/2 missing'],
];
