import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { commitUrl } from '../../src/notify/commit-link.js';

const SHA = '0123456789abcdef0123456789abcdef01234567';

describe('commitUrl', () => {
  const cases: [string, string | undefined, string | undefined][] = [
    ['GitHub https', 'https://github.com/acme/jobs', `https://github.com/acme/jobs/commit/${SHA}`],
    ['GitHub https .git', 'https://github.com/acme/jobs.git', `https://github.com/acme/jobs/commit/${SHA}`],
    [
      'GitHub https trailing slash',
      'https://github.com/acme/jobs/',
      `https://github.com/acme/jobs/commit/${SHA}`,
    ],
    ['GitHub http', 'http://github.com/acme/jobs.git', `https://github.com/acme/jobs/commit/${SHA}`],
    ['GitHub scp-like', 'git@github.com:acme/jobs.git', `https://github.com/acme/jobs/commit/${SHA}`],
    ['GitHub scp-like without user', 'github.com:acme/jobs', `https://github.com/acme/jobs/commit/${SHA}`],
    ['GitHub ssh://', 'ssh://git@github.com/acme/jobs.git', `https://github.com/acme/jobs/commit/${SHA}`],
    [
      'GitHub ssh:// with port',
      'ssh://git@github.com:22/acme/jobs.git',
      `https://github.com/acme/jobs/commit/${SHA}`,
    ],
    ['GitHub git://', 'git://github.com/acme/jobs.git', `https://github.com/acme/jobs/commit/${SHA}`],
    ['GitHub upper-case host', 'https://GitHub.com/acme/jobs', `https://github.com/acme/jobs/commit/${SHA}`],
    [
      'GitHub, surrounding whitespace',
      '  https://github.com/acme/jobs\n',
      `https://github.com/acme/jobs/commit/${SHA}`,
    ],
    [
      'GitHub with a token',
      'https://x-access-token:ghp_SECRET@github.com/acme/jobs.git',
      `https://github.com/acme/jobs/commit/${SHA}`,
    ],
    [
      'GitHub with a user',
      'https://ada@github.com/acme/jobs.git',
      `https://github.com/acme/jobs/commit/${SHA}`,
    ],
    [
      'GitHub query and fragment dropped',
      'https://github.com/acme/jobs.git?x=1#y',
      `https://github.com/acme/jobs/commit/${SHA}`,
    ],
    ['GitHub, not a repository path', 'https://github.com/acme/jobs/tree/main', undefined],
    ['GitHub, owner only', 'https://github.com/acme', undefined],
    [
      'GitHub Enterprise github.* host',
      'https://github.acme.com/ops/jobs.git',
      `https://github.acme.com/ops/jobs/commit/${SHA}`,
    ],
    [
      'GitHub Enterprise scp-like',
      'git@github.acme.com:ops/jobs.git',
      `https://github.acme.com/ops/jobs/commit/${SHA}`,
    ],
    [
      'GitHub Enterprise Cloud *.ghe.com',
      'https://acme.ghe.com/ops/jobs',
      `https://acme.ghe.com/ops/jobs/commit/${SHA}`,
    ],
    ['GitLab https', 'https://gitlab.com/acme/jobs.git', `https://gitlab.com/acme/jobs/-/commit/${SHA}`],
    [
      'GitLab subgroups',
      'https://gitlab.com/acme/infra/jobs.git',
      `https://gitlab.com/acme/infra/jobs/-/commit/${SHA}`,
    ],
    [
      'GitLab scp-like',
      'git@gitlab.com:acme/infra/jobs.git',
      `https://gitlab.com/acme/infra/jobs/-/commit/${SHA}`,
    ],
    ['GitLab ssh://', 'ssh://git@gitlab.com/acme/jobs.git', `https://gitlab.com/acme/jobs/-/commit/${SHA}`],
    [
      'GitLab with a token',
      'https://oauth2:glpat-SECRET@gitlab.com/acme/jobs.git',
      `https://gitlab.com/acme/jobs/-/commit/${SHA}`,
    ],
    [
      'self-managed gitlab.* host',
      'https://gitlab.acme.com/ops/jobs',
      `https://gitlab.acme.com/ops/jobs/-/commit/${SHA}`,
    ],
    ['an unknown host: layout unknown', 'https://git.acme.com/ops/jobs.git', undefined],
    ['Bitbucket Server', 'https://bitbucket.acme.com/scm/ops/jobs.git', undefined],
    ['Bitbucket Cloud', 'git@bitbucket.org:acme/jobs.git', undefined],
    ['a local path', '/srv/git/jobs.git', undefined],
    ['a relative path', '../jobs', undefined],
    ['file://', 'file:///srv/git/jobs.git', undefined],
    ['no remote', undefined, undefined],
    ['an empty remote', '', undefined],
    ['dot segments', 'https://github.com/acme/..', undefined],
    ['odd characters in the path', 'https://github.com/acme/jo%22bs', undefined],
  ];
  for (const [name, remote, expected] of cases) {
    it(`${name}: ${String(remote)} → ${String(expected)}`, () => {
      assert.equal(commitUrl(remote, SHA), expected);
    });
  }

  it('never puts credentials from a remote into a link', () => {
    for (const remote of ['https://user:hunter2@github.com/a/b', 'https://hunter2@gitlab.com/a/b.git']) {
      const url = commitUrl(remote, SHA);
      assert.ok(url !== undefined && !url.includes('hunter2') && !url.includes('@'), url);
    }
  });

  it('a template wins over the remote, every {sha} replaced', () => {
    assert.equal(
      commitUrl('https://github.com/acme/jobs', SHA, 'https://git.acme.com/jobs/commit/{sha}?ref={sha}'),
      `https://git.acme.com/jobs/commit/${SHA}?ref=${SHA}`,
    );
    assert.equal(commitUrl(undefined, SHA, 'https://git.acme.com/c/{sha}'), `https://git.acme.com/c/${SHA}`);
  });

  it('an empty template is no template', () => {
    assert.equal(
      commitUrl('https://github.com/acme/jobs', SHA, ''),
      `https://github.com/acme/jobs/commit/${SHA}`,
    );
  });

  it('links only what looks like a commit id', () => {
    assert.equal(commitUrl('https://github.com/acme/jobs', 'main'), undefined);
    assert.equal(
      commitUrl('https://github.com/acme/jobs', '../../x', 'https://git.acme.com/c/{sha}'),
      undefined,
    );
    assert.equal(
      commitUrl('https://github.com/acme/jobs', 'ABC1234'),
      'https://github.com/acme/jobs/commit/ABC1234',
    );
  });
});
