import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DriftChange } from '../../src/drift/transitions.js';
import { plan } from '../../src/plan/planner.js';
import type { Plan } from '../../src/plan/types.js';
import {
  commitSummary,
  finishedEvent,
  groupChanges,
  startedEvent,
} from '../../src/reconciler/announcements.js';
import { messageOf } from '../../src/notify/message.js';
import { webhookPayload } from '../../src/notify/webhook.js';
import type { DeploymentRecord, Outcome } from '../../src/state/deployments.js';
import { recorded, running, spec } from '../support/specs.js';

const web = spec({ name: 'web', instances: 2, service: true });
const commit = commitSummary({
  id: 'a'.repeat(40),
  parents: [],
  author: { name: 'Ada Author', email: 'ada@example.com' },
  committer: { name: 'Cy', email: 'cy@example.com' },
  date: '2026-12-02T00:00:00Z',
  message: 'Greet again\n\nlonger text',
});
const changed: Plan = plan({
  commit: commit.sha,
  cluster: 'local',
  desired: [web],
  observed: [],
  recorded: [],
  now: 0,
});
const unchanged: Plan = plan({
  commit: commit.sha,
  cluster: 'local',
  desired: [web],
  observed: running(web),
  recorded: [recorded(web)],
  now: 0,
});

function record(outcome: Outcome, fields: Partial<DeploymentRecord> = {}): DeploymentRecord {
  return {
    format: 1,
    sequence: 1,
    commit: commit.sha,
    parent_applied: null,
    author: commit.author,
    committer: commit.author,
    date: '2026-12-02T00:00:00Z',
    message: 'Greet again',
    signature: { status: 'not_checked', trusted: false, detail: '' },
    trigger: 'watch',
    cluster: 'local',
    outcome,
    plan: changed,
    jobs: [],
    errors: [],
    started_at: '',
    finished_at: '',
    ...fields,
  };
}

describe('deployment announcements', () => {
  it('takes the first line of the commit message as its title', () => {
    assert.equal(commit.title, 'Greet again');
  });

  it('announces a start only when the plan changes something', () => {
    assert.equal(startedEvent(changed, commit, 1)?.summary, 'Plan: 1 to create, 0 to update, 0 to kill.');
    assert.equal(startedEvent(unchanged, commit, 1), undefined);
  });

  const cases: [string, DeploymentRecord, string | undefined][] = [
    ['a success that changed something', record('succeeded'), 'succeeded'],
    ['a success that changed nothing is news to nobody', record('succeeded', { plan: unchanged }), undefined],
    [
      'a rollback',
      record('rolled_back', { reason: 'ROLLED_BACK', detail: 'web: rolled back' }),
      'rolled_back',
    ],
    ['a failure', record('failed'), 'failed'],
    ['a rejection', record('rejected', { plan: undefined }), 'rejected'],
    ['a noop', record('noop'), undefined],
    ['a superseded commit', record('superseded'), undefined],
  ];
  for (const [name, input, expected] of cases) {
    it(name, () => assert.equal(finishedEvent(input, commit, 1)?.status, expected));
  }

  it("sends the record's reason code and sentence in the webhook event; chat shows the sentence", () => {
    const rolledBack = record('rolled_back', {
      reason: 'ROLLED_BACK',
      detail: 'local/www-data/prod/web: rolled back (update failed and was rolled back)',
      jobs: [
        {
          job: 'local/www-data/prod/web',
          action: 'update',
          result: 'rolled_back',
          reason: 'ROLLED_BACK',
          events: [],
        },
        { job: 'local/www-data/prod/api', action: 'create', result: 'succeeded', events: [] },
      ],
    });
    const event = finishedEvent(rolledBack, commit, Date.UTC(2026, 11, 2))!;
    const sent = webhookPayload(event, 'd-1');
    assert.equal(sent.format_version, 3);
    assert.equal(sent.event.type === 'deployment' && sent.event.reason, 'ROLLED_BACK');
    assert.equal(sent.event.type === 'deployment' && sent.event.detail, rolledBack.detail);
    const message = messageOf(event);
    assert.equal(message.headline, `Rolled back aaaaaaa on local — ${rolledBack.detail}`);
    assert.deepEqual(message.facts.at(-1), { title: 'Reason', value: rolledBack.detail, short: false });
    assert.doesNotMatch(JSON.stringify(message), /ROLLED_BACK/);
  });

  it('lists at most five validation problems of a rejected commit, then how many more', () => {
    const errors = Array.from({ length: 7 }, (_, i) => ({
      file: 'jobs/web.yaml',
      line: i + 1,
      column: 1,
      path: 'instances',
      message: 'must be a number',
    }));
    const event = finishedEvent(record('rejected', { errors, plan: undefined }), commit, 1)!;
    assert.deepEqual(event.problems?.slice(0, 1), ['jobs/web.yaml:1:1: instances: must be a number']);
    assert.equal(event.problems?.at(-1), 'and 2 more');
    assert.equal(event.problems?.length, 6);
  });
});

describe('groupChanges', () => {
  const missing = (instance: number, status: DriftChange['status'] = 'opened'): DriftChange => ({
    status,
    drift: {
      id: `missing:web/${instance}`,
      kind: 'missing',
      job: 'web',
      instance,
      detail: `instance ${instance} is not running`,
      since: 100 + instance,
    },
  });

  it('makes one message of the same kind, job and status found together', () => {
    const [group, ...rest] = groupChanges([missing(0), missing(1), missing(2)]);
    assert.deepEqual(rest, []);
    assert.equal(group!.drift.instance, undefined);
    assert.equal(group!.drift.detail, 'instance 0 is not running; the same for instances 1, 2');
    assert.equal(group!.drift.since, 100);
  });

  it('keeps opened and resolved, and other jobs, apart', () => {
    const other = { ...missing(0), drift: { ...missing(0).drift, job: 'api', id: 'missing:api/0' } };
    assert.equal(groupChanges([missing(0), missing(1, 'resolved'), other]).length, 3);
  });

  it('lists at most twenty instances', () => {
    const [group] = groupChanges(Array.from({ length: 30 }, (_, i) => missing(i)));
    assert.match(group!.drift.detail, /instances 1, 2, .*, 20 and 9 more$/);
  });
});
