/**
 * The published plan and deployment documents: every optional part mapped, a plan read
 * back exactly as it was printed (`plan` prints the leader's plan after that round trip),
 * and the schemas refusing any key that is not the published snake_case one.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { visibleChanges } from '../../src/plan/describe.js';
import type { Plan } from '../../src/plan/types.js';
import { fromPlanDocument, toPlanDocument } from '../../src/plan/wire.js';
import { historyListDocument, historyOneDocument } from '../../src/state/deployment-wire.js';
import type { DeploymentRecord } from '../../src/state/deployments.js';
import { schemaErrors } from '../support/json-schemas.js';

const COMMIT = 'a'.repeat(40);
const AT = Date.UTC(2026, 11, 7, 15, 4, 5, 123);
const ISO = '2026-12-07T15:04:05.123Z';

const noChange = { add: [], update: [], remove: [], heal: [], unchanged: [0] };

const everything: Plan = {
  format_version: '1',
  commit: COMMIT,
  cluster: 'local',
  changes: [
    {
      job: 'local/www-data/prod/held',
      action: 'heal',
      held: {
        configHash: 'h2',
        commit: COMMIT,
        outcome: 'rolled_back',
        at: AT,
        reason: 'health check failed',
      },
      instances: { add: [], update: [], remove: [], heal: [1], unchanged: [0] },
      killTasks: ['t-dup'],
      deferred: [],
      diff: [],
      from: { configHash: 'h1', instances: 2 },
      to: { configHash: 'h1', instances: 2 },
    },
    {
      job: 'local/www-data/prod/waiting',
      action: 'noop',
      instances: noChange,
      killTasks: [],
      deferred: [{ instance: 1, retryAt: AT }],
      diff: [{ path: 'task.processes[0].cmdline', from: 'sleep 1', to: 'sleep 2' }, { path: 'contact' }],
    },
    {
      job: 'local/www-data/prod/quiet',
      action: 'noop',
      instances: noChange,
      killTasks: [],
      deferred: [],
      diff: [],
    },
    {
      job: 'local/www-data/prod/backup',
      action: 'schedule',
      instances: { add: [], update: [], remove: [0], heal: [], unchanged: [] },
      killTasks: ['t-service'],
      deferred: [],
      diff: [{ path: 'cron_schedule', to: '0 3 * * *' }],
      from: { configHash: 'h3', instances: 1 },
      to: { configHash: 'h4', instances: 1 },
      cron: {
        schedule: '0 3 * * *',
        timezone: 'Europe/Berlin',
        collisionPolicy: 'CANCEL_NEW',
        paused: false,
        nextRuns: [AT, AT + 86_400_000],
      },
    },
  ],
  summary: {
    create: 0,
    update: 0,
    scale: 0,
    kill: 0,
    heal: 1,
    orphan: 0,
    schedule: 1,
    reschedule: 0,
    deschedule: 0,
    noop: 2,
  },
  massKill: { killed: 2, running: 3, message: 'this plan would kill 2 of 3 running jobs' },
  warnings: ['a warning'],
  nextWakeAt: AT,
};

const deployment: DeploymentRecord = {
  format: 1,
  sequence: 7,
  commit: COMMIT,
  parent_applied: null,
  author: { name: 'A', email: 'a@example.com' },
  committer: { name: 'C', email: 'c@example.com' },
  date: '2026-12-07T16:04:05+01:00',
  message: 'subject\n\nbody',
  signature: {
    status: 'good',
    trusted: true,
    detail: 'ok',
    format: 'ssh',
    signer: 's@example.com',
    key: 'SHA256:x',
  },
  trigger: 'watch',
  cluster: 'local',
  outcome: 'rolled_back',
  reason: 'ROLLED_BACK',
  detail: 'health check failed',
  superseded_by: 'b'.repeat(40),
  plan: everything,
  planned_at: ISO,
  jobs: [
    {
      job: 'local/www-data/prod/held',
      action: 'update',
      result: 'rolled_back',
      reason: 'ROLLED_BACK',
      message: 'failed',
      events: [
        { at: AT, instance: 0, event: 'LAUNCHED', detail: 'task t1' },
        { at: AT, event: 'ROLLOUT_FINISHED' },
      ],
    },
    {
      job: 'local/www-data/prod/backup',
      action: 'schedule',
      result: 'succeeded',
      events: [{ at: AT, event: 'SCHEDULED', detail: '"0 3 * * *" Europe/Berlin, next 2026-12-07 15:04Z' }],
    },
  ],
  errors: [{ file: 'jobs/a.yaml', line: 1, column: 7, path: '', message: 'invalid YAML' }],
  started_at: ISO,
  finished_at: null,
};

/** Every copy of `document` with one snake_case key renamed to camelCase, and where. */
function camelCased(document: unknown): { where: string; copy: unknown }[] {
  const found: { where: string; copy: unknown }[] = [];
  const visit = (value: unknown, path: (string | number)[]) => {
    if (Array.isArray(value)) value.forEach((item, index) => visit(item, [...path, index]));
    else if (value !== null && typeof value === 'object') {
      for (const [key, child] of Object.entries(value)) {
        if (key.includes('_'))
          found.push({ where: [...path, key].join('.'), copy: renamed(document, [...path, key]) });
        if (key !== 'diff') visit(child, [...path, key]); // a diff's values are the job's own
      }
    }
  };
  visit(document, []);
  return found;
}

function renamed(document: unknown, path: (string | number)[]): unknown {
  const copy = structuredClone(document) as Record<string | number, unknown>;
  let parent = copy;
  for (const step of path.slice(0, -1)) parent = parent[step] as Record<string | number, unknown>;
  const key = String(path.at(-1));
  parent[key.replace(/_(\w)/g, (_, letter: string) => letter.toUpperCase())] = parent[key];
  delete parent[key];
  return copy;
}

describe('the published plan and deployment documents', () => {
  it('map every optional part, in UTC', () => {
    const document = toPlanDocument(everything);
    assert.deepEqual(schemaErrors('plan', document), []);
    assert.deepEqual(
      document.changes.map((change) => change.job),
      ['local/www-data/prod/held', 'local/www-data/prod/waiting', 'local/www-data/prod/backup'],
      'a noop job is listed only while its relaunch is deferred',
    );
    assert.equal(document.format_version, 3, 'the cron actions came with version 3');
    assert.deepEqual(document.changes[2]!.cron, {
      schedule: '0 3 * * *',
      timezone: 'Europe/Berlin',
      collision_policy: 'CANCEL_NEW',
      paused: false,
      next_runs: [ISO, '2026-12-08T15:04:05.123Z'],
    });
    assert.equal(document.next_wake_at, ISO);
    assert.equal(document.changes[0]!.held?.at, ISO);
    assert.deepEqual(document.changes[1]!.deferred, [{ instance: 1, retry_at: ISO }]);
    const shown = historyOneDocument(deployment);
    assert.deepEqual(schemaErrors('history', shown), []);
    assert.equal(shown.deployment.date, '2026-12-07T15:04:05.000Z');
    assert.deepEqual(shown.deployment.plan, document);
    assert.ok(!('format' in shown.deployment), 'the store’s own format is not published');
    assert.deepEqual(
      schemaErrors('history', historyListDocument([deployment, { ...deployment, sequence: 8 }])),
      [],
    );
  });

  it('read a plan back as it was printed', () => {
    assert.deepEqual(fromPlanDocument(toPlanDocument(everything)), {
      ...everything,
      changes: visibleChanges(everything),
    });
  });

  it('schemas refuse a camelCase key anywhere', () => {
    const documents = [
      ['plan', toPlanDocument(everything)],
      ['history', historyOneDocument(deployment)],
    ] as const;
    for (const [schema, document] of documents) {
      const variants = camelCased(document);
      assert.ok(variants.length >= 8, `${schema}: snake_case keys found`);
      for (const { where, copy } of variants)
        assert.notDeepEqual(schemaErrors(schema, copy), [], `${schema}: ${where} as camelCase is refused`);
    }
  });
});
