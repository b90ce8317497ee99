import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseSinks, shown } from '../../src/notify/config.js';
import { BorealisError } from '../../src/errors.js';

const SLACK = 'https://hooks.slack.com/services/T000/B000/XXXXhunter2XXXX';
const TEAMS =
  'https://prod-01.westeurope.logic.azure.com/workflows/abc/triggers/manual/paths/invoke?sig=SIGhunter2';

describe('parseSinks', () => {
  it('reads KIND=URL flags in order, kinds in any case, names them by kind and host', () => {
    const sinks = parseSinks(
      [`slack=${SLACK}`, ` Teams = ${TEAMS}`, 'webhook=http://127.0.0.1:8080/hook'],
      {},
    );
    assert.deepEqual(sinks, [
      { kind: 'slack', url: SLACK, name: 'slack(hooks.slack.com)' },
      { kind: 'teams', url: TEAMS, name: 'teams(prod-01.westeurope.logic.azure.com)' },
      { kind: 'webhook', url: 'http://127.0.0.1:8080/hook', name: 'webhook(127.0.0.1:8080)' },
    ]);
  });

  it('reads several URLs per variable, separated by commas and whitespace, after the flags', () => {
    const sinks = parseSinks(['mattermost=https://chat.example.com/hooks/abc'], {
      BOREALIS_NOTIFY_SLACK: `${SLACK}, https://hooks.slack.com/services/T1/B1/YY\n`,
      BOREALIS_NOTIFY_WEBHOOK: ' https://a.example/h   https://b.example/h ',
    });
    assert.deepEqual(
      sinks.map((sink) => sink.name),
      [
        'mattermost(chat.example.com)',
        'slack(hooks.slack.com)',
        'slack(hooks.slack.com)#2',
        'webhook(a.example)',
        'webhook(b.example)',
      ],
    );
  });

  it('tells a URL configured twice (flag and environment) once', () => {
    const sinks = parseSinks([`slack=${SLACK}`], { BOREALIS_NOTIFY_SLACK: SLACK });
    assert.equal(sinks.length, 1);
  });

  it('gives BOREALIS_NOTIFY_WEBHOOK_SECRET to every generic webhook and to nothing else', () => {
    const sinks = parseSinks([`slack=${SLACK}`, 'webhook=https://a.example/h'], {
      BOREALIS_NOTIFY_WEBHOOK: 'https://b.example/h',
      BOREALIS_NOTIFY_WEBHOOK_SECRET: 'k3y',
    });
    assert.deepEqual(
      sinks.map((sink) => [sink.kind, sink.secret]),
      [
        ['slack', undefined],
        ['webhook', 'k3y'],
        ['webhook', 'k3y'],
      ],
    );
  });

  it('an empty secret is no secret (it would make every signature forgeable)', () => {
    const [sink] = parseSinks(['webhook=https://a.example/h'], { BOREALIS_NOTIFY_WEBHOOK_SECRET: '' });
    assert.equal(sink !== undefined && 'secret' in sink, false);
  });

  it('nothing configured: no sinks; empty variables are ignored', () => {
    assert.deepEqual(parseSinks([], {}), []);
    assert.deepEqual(parseSinks([], { BOREALIS_NOTIFY_SLACK: '', BOREALIS_NOTIFY_TEAMS: ' , ' }), []);
  });

  const refused: [string, string[], NodeJS.ProcessEnv, string, RegExp][] = [
    [
      'a flag without "="',
      ['slack'],
      {},
      '--notify value #1 "slack" is not KIND=URL: it has no "="',
      /^write --notify slack=https:\/\/hooks\.slack\.com\/services\/… \(KIND is one of slack, mattermost, teams, webhook\); prefer BOREALIS_NOTIFY_SLACK, BOREALIS_NOTIFY_MATTERMOST, BOREALIS_NOTIFY_TEAMS, BOREALIS_NOTIFY_WEBHOOK: flags are visible to every user in ps$/,
    ],
    [
      'a bare URL as flag',
      [`slack=${SLACK}`, SLACK],
      {},
      '--notify value #2 "https://hooks.slack.com/…" is not KIND=URL: it has no "="',
      /^write --notify slack=/,
    ],
    [
      'a bare URL whose query has "="',
      [TEAMS],
      {},
      '--notify value #1 "https://prod-01.westeurope.logic.azure.com/…" is not KIND=URL: it starts with a URL, not a kind',
      /KIND is one of/,
    ],
    [
      'an unknown kind',
      ['discord=https://discord.com/api/webhooks/1/TOKEN'],
      {},
      '--notify value #1: unknown notification kind "discord": expected one of slack, mattermost, teams, webhook',
      /^write --notify slack=/,
    ],
    ['an empty URL', ['teams='], {}, '--notify value #1 (teams): the URL is empty', /^write --notify/],
    [
      'a URL without a scheme',
      ['slack=hooks.slack.com/services/T000/B000/XXXXhunter2XXXX'],
      {},
      '--notify value #1 (slack): "hooks.slack.com…" is not an http(s) URL',
      /^copy the whole URL the chat service gave, starting with https:\/\/$/,
    ],
    [
      'another scheme',
      ['webhook=ftp://files.example.com/drop/hunter2'],
      {},
      '--notify value #1 (webhook): "ftp://files.example.com/…" is not an http(s) URL',
      /starting with https:\/\//,
    ],
    [
      'credentials in the URL',
      [],
      { BOREALIS_NOTIFY_WEBHOOK: 'https://a.example/h https://ops:hunter2@hooks.example.com/borealis' },
      'BOREALIS_NOTIFY_WEBHOOK item #2: "https://hooks.example.com/…" carries a user name or password, which is not supported',
      /^remove them; to authenticate generic webhooks set BOREALIS_NOTIFY_WEBHOOK_SECRET and check X-Borealis-Signature$/,
    ],
    [
      'a bad item in a variable',
      [],
      { BOREALIS_NOTIFY_MATTERMOST: 'https://chat.example.com/hooks/a,not-a-url' },
      'BOREALIS_NOTIFY_MATTERMOST item #2: "not-a-url" is not an http(s) URL',
      /^copy the whole URL/,
    ],
  ];
  for (const [name, flags, env, message, hint] of refused) {
    it(`refuses ${name}: ${message}`, () => {
      assert.throws(
        () => parseSinks(flags, env),
        (error: unknown) => {
          assert.ok(error instanceof BorealisError);
          assert.equal(error.message, message);
          assert.match(error.hint ?? '', hint);
          for (const secret of ['hunter2', 'TOKEN', 'sig=', 'T000', 'api/webhooks']) {
            assert.ok(!`${error.message} ${error.hint}`.includes(secret), `${secret} leaked`);
          }
          return true;
        },
      );
    });
  }
});

describe('shown (how refused values appear in messages)', () => {
  const cases: [string, string][] = [
    ['https://hooks.slack.com/services/T/B/X', '"https://hooks.slack.com/…"'],
    ['https://hooks.slack.com', '"https://hooks.slack.com"'],
    ['https://u:p@host.example:8443/x', '"https://host.example:8443/…"'],
    ['hooks.slack.com/services/T/B/X', '"hooks.slack.com…"'],
    ['user:token@host.example/x', '"host.example…"'],
    ['slack', '"slack"'],
    ['xoxb-1234567890-abcdefghijkl', '"xoxb-123…"'],
  ];
  for (const [value, expected] of cases) {
    it(`${value} → ${expected}`, () => assert.equal(shown(value), expected));
  }
});
