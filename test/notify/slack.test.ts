import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mattermost } from '../../src/notify/mattermost.js';
import { slack, slackPayload, type SlackAttachment } from '../../src/notify/slack.js';
import type { NotificationEvent } from '../../src/notify/events.js';
import { AT, COMMIT, deployment, drift, EVERY_EVENT, FAILED, REJECTED, TITLES } from './fixtures.js';

function attachmentOf(event: NotificationEvent): SlackAttachment {
  return slackPayload(event).attachments[0];
}

describe('Slack payload', () => {
  for (const [name, event, color, title] of TITLES) {
    it(`${name}: colour ${color}, title "${title}", linked to the commit, stamped with the event time`, () => {
      const attachment = attachmentOf(event);
      assert.equal(attachment.color, color);
      assert.equal(attachment.title, title);
      assert.equal(attachment.title_link, COMMIT.url);
      assert.equal(attachment.ts, AT / 1000);
      assert.equal(attachment.footer, 'Borealis');
    });
  }

  it('has a top-level text that reads on its own: title and the sentence that matters', () => {
    assert.equal(
      slackPayload(deployment('succeeded')).text,
      'Deployed abc1234 to west — Raise web to 3 instances',
    );
    assert.equal(
      slackPayload(FAILED).text,
      'Deployment of abc1234 to west failed — local/www/prod/web: instance 2 never became healthy',
    );
    assert.equal(
      slackPayload(drift('opened')).text,
      'Drift opened: local/www/prod/web/2 missing — instance 2 has no running task',
    );
    assert.equal(attachmentOf(FAILED).fallback, slackPayload(FAILED).text);
  });

  it('a finished deployment: cluster, linked commit, author, plan and reason as fields; per-job lines in the text', () => {
    const attachment = attachmentOf(FAILED);
    assert.deepEqual(attachment.fields, [
      { title: 'Cluster', value: 'west', short: true },
      { title: 'Commit', value: `<${COMMIT.url}|abc1234>`, short: true },
      { title: 'Author', value: 'Ada Lovelace', short: true },
      { title: 'Plan', value: 'Plan: 1 to create, 2 to update, 0 to kill.', short: false },
      { title: 'Reason', value: 'local/www/prod/web: instance 2 never became healthy', short: false },
    ]);
    assert.equal(
      attachment.text,
      'Raise web to 3 instances\nJobs:\n```\n' +
        'local/www/prod/web: failed (instance 2 never became healthy)\nlocal/www/prod/api: updated\n```',
    );
    assert.deepEqual(attachment.mrkdwn_in, ['text']);
  });

  it('a rejected commit lists its first 5 validation problems, then how many more', () => {
    const text = attachmentOf(REJECTED).text;
    for (let line = 1; line <= 5; line += 1) assert.ok(text.includes(`jobs/web.yaml:${line}:3:`), text);
    assert.ok(!text.includes('jobs/web.yaml:6:3:'), text);
    assert.match(text, /^Validation problems:\n```\n/m);
    assert.match(text, /\n```\nand 2 more$/);
  });

  it('no "and N more" when every problem fits', () => {
    const text = attachmentOf(deployment('rejected', { problems: ['a.yaml:1:1: bad'] })).text;
    assert.equal(text, 'Raise web to 3 instances\nValidation problems:\n```\na.yaml:1:1: bad\n```');
  });

  it('caps per-job lines at 20', () => {
    const jobs = Array.from({ length: 23 }, (_, i) => `local/www/prod/job${i}: updated`);
    const text = attachmentOf(deployment('succeeded', { jobs })).text;
    assert.ok(text.includes('job19: updated') && !text.includes('job20: updated'), text);
    assert.match(text, /and 3 more$/);
  });

  it('drift: the detail as text; cluster, job, since-when and the compared commit as fields', () => {
    assert.equal(attachmentOf(drift('opened')).text, 'instance 2 has no running task');
    assert.deepEqual(attachmentOf(drift('opened')).fields, [
      { title: 'Cluster', value: 'west', short: true },
      { title: 'Job', value: 'local/www/prod/web/2', short: true },
      { title: 'Since', value: '2024-05-01 12:00 UTC (open for 3 h 20 min)', short: false },
      { title: 'Commit', value: `<${COMMIT.url}|abc1234 Raise web to 3 instances>`, short: false },
    ]);
    const since = (event: NotificationEvent): string | undefined =>
      attachmentOf(event).fields.find((field) => field.title === 'Since')?.value;
    assert.equal(since(drift('resolved')), '2024-05-01 12:00 UTC (lasted 3 h 20 min)');
    assert.equal(
      since(drift('reminder', { since: AT - 26 * 3600_000 })),
      '2024-04-30 13:20 UTC (open for 1 d 2 h)',
    );
  });

  it('drift of a whole job, without a commit: no instance, no link, no commit field', () => {
    const event = drift('opened', { kind: 'out-of-sync', instance: undefined, commit: undefined });
    const attachment = attachmentOf(event);
    assert.equal(attachment.title, 'Drift opened: local/www/prod/web out of sync');
    assert.equal('title_link' in attachment, false);
    assert.deepEqual(
      attachment.fields.map((field) => field.title),
      ['Cluster', 'Job', 'Since'],
    );
  });

  it('without a commit URL: no title_link and a plain commit field', () => {
    const attachment = attachmentOf(deployment('succeeded', { commit: { ...COMMIT, url: undefined } }));
    assert.equal('title_link' in attachment, false);
    assert.deepEqual(attachment.fields[1], { title: 'Commit', value: 'abc1234', short: true });
  });

  it('escapes &, < and > in user-controlled text, so a commit cannot mention @channel or forge a link', () => {
    const event = deployment('failed', {
      commit: {
        ...COMMIT,
        title: 'Fix <!channel> & <https://evil.example|login>',
        author: { name: 'A <b>', email: '' },
      },
      reason: 'ROLLOUT_FAILED',
      detail: 'x > y',
      jobs: ['job<1>: failed'],
    });
    const payload = slackPayload(event);
    const attachment = payload.attachments[0];
    assert.ok(attachment.text.startsWith('Fix &lt;!channel&gt; &amp; &lt;https://evil.example|login&gt;\n'));
    assert.ok(attachment.text.includes('job&lt;1&gt;: failed'));
    const field = (title: string): string | undefined =>
      attachment.fields.find((f) => f.title === title)?.value;
    assert.equal(field('Author'), 'A &lt;b&gt;');
    assert.equal(field('Reason'), 'x &gt; y');
    assert.ok(payload.text.endsWith('x &gt; y'));
    assert.ok(!JSON.stringify(payload).includes('<!channel>'));
    assert.ok(!JSON.stringify(payload).includes('<https://evil'));
  });

  it('keeps a link whole when the URL holds "|" or ">"', () => {
    const url = 'https://git.example.com/c?id=1|2>3';
    const attachment = attachmentOf(deployment('succeeded', { commit: { ...COMMIT, url } }));
    assert.equal(attachment.fields[1]?.value, '<https://git.example.com/c?id=1%7C2%3E3|abc1234>');
  });

  it('is sent as the JSON of slackPayload; Mattermost gets the very same body', () => {
    for (const [, event] of EVERY_EVENT) {
      const body = slack.prepare(event, {
        kind: 'slack',
        url: 'https://hooks.slack.com/x',
        name: 'slack',
      }).body;
      assert.equal(body, JSON.stringify(slackPayload(event)));
      const mm = mattermost.prepare(event, {
        kind: 'mattermost',
        url: 'https://mm.example/x',
        name: 'mm',
      }).body;
      assert.equal(mm, body);
    }
  });

  it('Slack and Mattermost succeed on 200 only', () => {
    assert.deepEqual(
      [200, 201, 204, 400].map((status) => [slack.accepts(status), mattermost.accepts(status)]),
      [
        [true, true],
        [false, false],
        [false, false],
        [false, false],
      ],
    );
  });
});
