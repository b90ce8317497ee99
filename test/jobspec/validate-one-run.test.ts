/**
 * `validate` reports every problem of a repository in one run: schema, rule and repository
 * problems together, without a follow-on error from a value already reported.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TempGitRepo } from '../support/git-repo.js';
import { runCli } from '../support/run-cli.js';
import { withTempRepo } from '../support/temp-repo.js';

const CLUSTERS = 'clusters:\n  - name: local\n    type: local\n';

const job = (fields: string, task = TASK) =>
  `cluster: local\nrole: www\nenvironment: prod\n${fields}\n${task}`;
const TASK = `task:
  processes:
    - name: web
      cmdline: exec sleep 100
  resources: { cpu: 0.1, ram: 16MiB, disk: 16MiB }
`;

interface Case {
  name: string;
  files: Record<string, string>;
  /** Every line `validate` must print, and no other problem line. */
  expected: string[];
}

const CASES: Case[] = [
  {
    name: 'an unknown field, an unknown variable and an unknown cluster in one file',
    files: {
      'jobs/web.yaml': `cluster: nowhere
role: www
environment: prod
name: web
servce: true
task:
  processes:
    - name: web
      cmdline: echo {{mesos.instanse}}
  resources: { cpu: 0.1, ram: 16MiB, disk: 16MiB }
`,
    },
    expected: [
      'jobs/web.yaml:1:10: cluster: no cluster named "nowhere" in clusters.yaml (declared: local)',
      'jobs/web.yaml:5:1: servce: unknown field "servce"; did you mean "service"?',
      'jobs/web.yaml:9:16: task.processes[0].cmdline: unknown variable {{mesos.instanse}}; known: {{mesos.instance}}, {{mesos.hostname}}, {{thermos.task_id}}, {{thermos.ports[<name>]}}',
    ],
  },
  {
    name: 'a rule broken in a template and a schema problem in the job extending it',
    files: {
      'templates/base.yaml': `task:
  processes:
    - name: web
      cmdline: exec serve {{thermos.ports[http]}}
  resources: { cpu: 0.1, ram: 16MiB, disk: 16MiB }
`,
      'jobs/web.yaml': `extends: ../templates/base.yaml
cluster: local
role: www
environment: prod
name: web
env:
  PORT: 8080
`,
    },
    expected: [
      'jobs/web.yaml:7:9: env.PORT: must be a string (got 8080); quote it to make it a string',
      'templates/base.yaml:4:16: task.processes[0].cmdline: {{thermos.ports[http]}} refers to a port not requested in task.resources.ports (requested: none)',
    ],
  },
  {
    name: 'a duplicate key between two jobs that each have a problem of their own',
    files: {
      'jobs/a.yaml': job('name: web\ninstances: many'),
      'jobs/b.yaml': job('name: web\nservce: true'),
    },
    expected: [
      'jobs/a.yaml:5:12: instances: must be a whole number (got "many")',
      'jobs/b.yaml:4:7: name: job local/www/prod/web is already declared at jobs/a.yaml:4; job keys (cluster/role/environment/name) must be unique',
      'jobs/b.yaml:5:1: servce: unknown field "servce"; did you mean "service"?',
    ],
  },
  {
    name: 'rules on several parts of one job, beside a schema problem in another part',
    files: {
      'jobs/web.yaml': job(
        'name: web\nservice: true\ncron_schedule: "*/15 * * * *"\ncontact: [nobody]',
        `task:
  processes:
    - name: a
      cmdline: exec sleep 100
    - name: a
      cmdline: exec sleep {{mesos.instanse}}
  resources: { cpu: 0.1, ram: 16MiB, disk: 16MiB }
`,
      ),
    },
    expected: [
      'jobs/web.yaml:6:16: cron_schedule: a cron job cannot be a service (service: true)',
      'jobs/web.yaml:7:10: contact: must be a string (got a list)',
      'jobs/web.yaml:12:13: task.processes[1].name: process "a" is declared twice in the task',
      'jobs/web.yaml:13:16: task.processes[1].cmdline: unknown variable {{mesos.instanse}}; known: {{mesos.instance}}, {{mesos.hostname}}, {{thermos.task_id}}, {{thermos.ports[<name>]}}',
    ],
  },
  {
    name: 'a wrong value is reported once: no rule or repository check reasons from it',
    files: {
      'jobs/a.yaml': job('name: web', 'task: 5\n'),
      'jobs/b.yaml': 'cluster: 7\nrole: www\nenvironment: prod\nname: web\n' + TASK,
      'jobs/c.yaml': job('name: other', TASK.replace('ram: 16MiB', 'ram: 12 gigs')),
    },
    expected: [
      'jobs/a.yaml:5:7: task: must be a map (got 5)',
      'jobs/b.yaml:1:10: cluster: must be a string (got 7); quote it to make it a string',
      'jobs/c.yaml:9:31: task.resources.ram: must be a size like 128MiB, 1GiB or 512MB (got "12 gigs")',
    ],
  },
];

/** The problem lines of a text report, without its summary line. */
function problemLines(stdout: string): string[] {
  return stdout.split('\n').filter((line) => /^[\w/.-]+\.ya?ml:\d+:\d+: /.test(line));
}

describe('validate reports every problem in one run', () => {
  for (const { name, files, expected } of CASES) {
    it(name, async () => {
      await withTempRepo({ 'clusters.yaml': CLUSTERS, ...files }, async (dir) => {
        const run = await runCli(['validate', dir]);
        assert.equal(run.code, 1, run.stdout + run.stderr);
        assert.deepEqual(problemLines(run.stdout), expected, run.stdout);
        assert.match(
          run.stdout,
          new RegExp(`: ${expected.length} problems?; nothing may be applied from it\\n$`),
        );
      });
    });
  }
});

describe('validate --path', () => {
  const repo = new TempGitRepo('borealis-validate-path-');
  const valid = job('name: web');
  const commit = repo.commit('jobs under deploy/', {
    'deploy/clusters.yaml': CLUSTERS,
    'deploy/jobs/web.yaml': valid,
    'README.md': 'not a job root\n',
  });
  repo.write({ 'deploy/jobs/web.yaml': job('name: web\nservce: true') });
  const at = (...args: string[]) => runCli(['validate', repo.dir, ...args]);

  it('names the job root inside the repository holding PATH, on disk and at a commit', async () => {
    const onDisk = await at('--path', 'deploy');
    assert.equal(onDisk.code, 1, onDisk.stdout + onDisk.stderr);
    assert.match(onDisk.stdout, /^jobs\/web\.yaml:5:1: servce: unknown field "servce"/m);
    const atCommit = await at('--path', 'deploy', '--ref', commit);
    assert.equal(atCommit.code, 0, atCommit.stdout + atCommit.stderr);
    assert.match(atCommit.stdout, new RegExp(`^${commit}:deploy: valid: 1 job on clusters local$`, 'm'));
  });

  it('is read written before the command too, as the global option', async () => {
    const run = await runCli(['--path', 'deploy', 'validate', repo.dir, '--ref', 'HEAD']);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.match(run.stdout, /^HEAD:deploy: valid: 1 job/m);
  });

  it('without --path the job root is PATH itself', async () => {
    const run = await at('--ref', 'HEAD');
    assert.equal(run.code, 1, 'the top has no clusters.yaml');
    assert.match(run.stdout, /no clusters\.yaml/);
  });

  it('a --path that names no directory is an error', async () => {
    const run = await at('--path', 'nowhere');
    assert.equal(run.code, 1);
    assert.match(run.stderr, /nowhere: no such directory/);
  });
});
