import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { NotificationEvent } from '../../src/notify/events.js';
import {
  teams,
  teamsPayload,
  type AdaptiveCard,
  type FactSet,
  type TextBlock,
} from '../../src/notify/teams.js';
import { COMMIT, deployment, drift, EVERY_EVENT, FAILED, REJECTED, TITLES } from './fixtures.js';

function cardOf(event: NotificationEvent): AdaptiveCard {
  return teamsPayload(event).attachments[0].content;
}

function texts(card: AdaptiveCard): string[] {
  return card.body
    .filter((block): block is TextBlock => block.type === 'TextBlock')
    .map((block) => block.text);
}

function factsOf(card: AdaptiveCard): Record<string, string> {
  const set = card.body.find((block): block is FactSet => block.type === 'FactSet');
  return Object.fromEntries((set?.facts ?? []).map((fact) => [fact.title, fact.value]));
}

describe('Teams (Workflows) payload', () => {
  for (const [name, event] of EVERY_EVENT) {
    it(`${name}: a message with one Adaptive Card 1.4 attachment`, () => {
      const payload = teamsPayload(event);
      assert.equal(payload.type, 'message');
      assert.equal(payload.attachments.length, 1);
      const [attachment] = payload.attachments;
      assert.equal(attachment.contentType, 'application/vnd.microsoft.card.adaptive');
      assert.equal(attachment.contentUrl, null);
      assert.equal(attachment.content.$schema, 'http://adaptivecards.io/schemas/adaptive-card.json');
      assert.equal(attachment.content.type, 'AdaptiveCard');
      assert.equal(attachment.content.version, '1.4');
      assert.deepEqual(attachment.content.actions, [
        { type: 'Action.OpenUrl', title: 'View commit', url: COMMIT.url },
      ]);
    });
  }

  const COLORS = { good: 'good', warning: 'warning', danger: 'attention' } as const;
  for (const [name, event, severity, title] of TITLES) {
    const color = COLORS[severity];
    it(`${name}: the bold title TextBlock is coloured ${color}`, () => {
      const [first] = cardOf(event).body;
      assert.deepEqual(first, {
        type: 'TextBlock',
        text: title,
        wrap: true,
        color,
        weight: 'Bolder',
        size: 'Medium',
      });
    });
  }

  it('a failed deployment: commit title, facts, per-job lines, fallback text', () => {
    const card = cardOf(FAILED);
    assert.equal(texts(card)[1], 'Raise web to 3 instances');
    assert.deepEqual(factsOf(card), {
      Cluster: 'west',
      Commit: 'abc1234',
      Author: 'Ada Lovelace',
      Plan: 'Plan: 1 to create, 2 to update, 0 to kill.',
      Reason: 'local/www/prod/web: instance 2 never became healthy',
    });
    assert.deepEqual(texts(card).slice(2, 5), [
      'Jobs',
      'local/www/prod/web: failed (instance 2 never became healthy)',
      'local/www/prod/api: updated',
    ]);
    assert.equal(
      card.fallbackText,
      'Deployment of abc1234 to west failed — local/www/prod/web: instance 2 never became healthy',
    );
    assert.equal(texts(card).at(-1), 'Borealis · 2024-05-01 15:20 UTC');
  });

  it('a rejected commit: the first 5 problems in monospace, then "and 2 more"', () => {
    const blocks = cardOf(REJECTED).body.filter((b): b is TextBlock => b.type === 'TextBlock');
    const problems = blocks.filter((block) => block.fontType === 'Monospace').map((block) => block.text);
    assert.deepEqual(
      problems,
      [1, 2, 3, 4, 5].map((line) => `jobs/web.yaml:${line}:3: unknown field "instancez"`),
    );
    assert.ok(texts(cardOf(REJECTED)).includes('and 2 more'));
  });

  it('drift: the detail, and cluster, job, since and commit as facts', () => {
    const card = cardOf(drift('reminder'));
    assert.equal(texts(card)[1], 'instance 2 has no running task');
    assert.deepEqual(factsOf(card), {
      Cluster: 'west',
      Job: 'local/www/prod/web/2',
      Since: '2024-05-01 12:00 UTC (open for 3 h 20 min)',
      Commit: 'abc1234 Raise web to 3 instances',
    });
  });

  it('no action button without a commit URL', () => {
    const card = cardOf(drift('opened', { commit: undefined }));
    assert.equal('actions' in card, false);
  });

  it('Teams text is not Slack-escaped', () => {
    const card = cardOf(deployment('started', { commit: { ...COMMIT, title: 'a & b <c>' } }));
    assert.equal(texts(card)[1], 'a & b <c>');
  });

  it('any 2xx is success (Workflows answer 202)', () => {
    assert.deepEqual(
      [200, 202, 204, 299, 300, 400].map((status) => teams.accepts(status)),
      [true, true, true, true, false, false],
    );
  });
});
