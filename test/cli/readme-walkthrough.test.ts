/**
 * The README's "Try a change" walkthrough, run literally: its shell block is read from
 * README.md and each line runs in bash in a Git repository holding example-repo/, with a
 * `borealis watch` daemon running there as `npm start` runs it. So the README cannot
 * drift from the product: a step that changes must change here too.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { exampleFiles } from '../support/example-repo.js';
import { GIT_ENV, TempGitRepo } from '../support/git-repo.js';
import { ReconcilerProcess } from '../support/reconciler-process.js';
import { eventually, withTimeout } from '../support/waiting.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const BIN = join(ROOT, 'bin', 'borealis.js');
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
/** A busy 2-core machine starts the example's jobs and rolls hello_http in tens of seconds. */
const DEPLOY_MS = 180_000;

/** The text of the first fenced block after `marker` in the README. */
function blockAfter(marker: string, fence: string): string {
  const start = README.indexOf(marker);
  assert.notEqual(start, -1, `README.md has no "${marker}"`);
  const open = README.indexOf(`${fence}\n`, start);
  const close = README.indexOf('\n```', open + fence.length);
  return README.slice(open + fence.length + 1, close + 1);
}

/** Each command of the walkthrough, its comment removed. */
const STEPS = blockAfter('## Try a change', '```sh')
  .split('\n')
  .map((line) => line.replace(/\s+#\s.*$/, '').trim())
  .filter((line) => line !== '');
const EXPECTED_PLAN = blockAfter('The plan for that change reads:', '```');

interface StepRun {
  code: number;
  stdout: string;
  stderr: string;
}

describe('the README walkthrough "Try a change"', { timeout: 600_000 }, () => {
  const repo = new TempGitRepo('borealis-readme-');
  const files = Object.fromEntries(
    Object.entries(exampleFiles()).map(([path, text]) => [`example-repo/${path}`, text]),
  );
  const first = repo.commit('The example repository', files);
  const env = { ...process.env, ...GIT_ENV };
  let daemon: ReconcilerProcess;
  let url: string;

  const shell = async (command: string): Promise<StepRun> => {
    const literal = command.replace(
      /^npx borealis\b/,
      `${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)}`,
    );
    try {
      const { stdout, stderr } = await run('bash', ['-c', literal], { cwd: repo.dir, env });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const failed = error as { code: number; stdout: string; stderr: string };
      return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
    }
  };

  /** Resolves with the deployment record of `commit` once it has finished. */
  const finishedDeployment = async (commit: string) => {
    let record: { commit: string; outcome: string } | undefined;
    await eventually(
      async () => {
        const response = await fetch(`${url}/api/deployments`).catch(() => undefined);
        if (response?.status !== 200) return false;
        const { deployments } = (await response.json()) as {
          deployments: { commit: string; outcome: string }[];
        };
        record = deployments.find((deployment) => deployment.commit === commit);
        return record !== undefined && record.outcome !== 'in_progress';
      },
      DEPLOY_MS,
      `the deployment of ${commit.slice(0, 12)}; the daemon printed:\n${daemon.lines.join('\n')}`,
      100,
    );
    return record!;
  };

  before(async () => {
    // As `npm start` runs it, on a free port instead of 7070.
    daemon = new ReconcilerProcess('readme', {
      repo: '.',
      state: '.borealis',
      cwd: repo.dir,
      globalArgs: ['--repo', '.', '--path', 'example-repo'],
      watchArgs: ['--listen', '127.0.0.1:0'],
      env: GIT_ENV,
    });
    const watchFile = join(repo.dir, '.borealis', 'watch.json');
    await eventually(() => existsSync(watchFile), DEPLOY_MS, 'the daemon to write .borealis/watch.json');
    await eventually(
      () => {
        url = (JSON.parse(readFileSync(watchFile, 'utf8')) as { url: string }).url;
        return !/:0$/.test(url);
      },
      DEPLOY_MS,
      'the daemon to say its port',
    );
    const brought = await finishedDeployment(first);
    assert.equal(
      brought.outcome,
      'succeeded',
      `the first pass brings up example-repo/:\n${daemon.lines.join('\n')}`,
    );
  });

  after(async () => {
    daemon.kill('SIGTERM');
    await withTimeout(daemon.exited, 60_000, 'the daemon to stop');
    await shell('npx borealis local down');
    repo.remove();
  });

  it('has the steps this test checks', () => {
    assert.deepEqual(
      STEPS.map((step) => step.split(' ').slice(0, 3).join(' ')),
      [
        "sed -i 's/hello",
        'npx borealis plan',
        'git commit -qam',
        'npx borealis status',
        'npx borealis history',
        'npx borealis logs',
      ],
    );
  });

  it('runs every step as written, each printing what the README says', async (t) => {
    const started = Date.now();
    const [edit, plan, commit, status, history, logs] = STEPS as [
      string,
      string,
      string,
      string,
      string,
      string,
    ];

    const edited = await shell(edit);
    assert.equal(edited.code, 0, edited.stderr);
    assert.match(repo.git('status', '--porcelain'), /^M example-repo\/jobs\/web\/hello_http\.yaml$/m);

    const planned = await shell(plan);
    assert.equal(planned.code, 0, planned.stdout + planned.stderr);
    assert.match(planned.stdout, /working tree .*\(uncommitted: jobs\/web\/hello_http\.yaml\)/);
    assert.ok(
      planned.stdout.includes(EXPECTED_PLAN),
      `plan printed:\n${planned.stdout}\nthe README expects:\n${EXPECTED_PLAN}`,
    );

    const committed = await shell(commit);
    assert.equal(committed.code, 0, committed.stderr);
    const head = repo.git('rev-parse', 'HEAD');
    assert.notEqual(head, first);
    assert.equal((await finishedDeployment(head)).outcome, 'succeeded', daemon.lines.join('\n'));
    const rolledOut = Date.now() - started;

    const shown = await shell(status);
    assert.equal(shown.code, 0, shown.stdout + shown.stderr);
    const instances = instanceRows(shown.stdout, 'local/www-data/prod/hello_http');
    assert.equal(instances.length, 3, shown.stdout);
    for (const [index, row] of instances.entries()) {
      assert.match(row, /\bRUNNING\b.*\bhealthy\b/, shown.stdout);
      const port = /http=(\d+)/.exec(row)?.[1];
      assert.ok(port, row);
      const page = await (await fetch(`http://127.0.0.1:${port}/`)).text();
      assert.equal(page.trim(), `hello again (instance ${index})`, 'the instance runs the new configuration');
    }

    const listed = await shell(history);
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(
      listed.stdout.split('\n')[0]!,
      new RegExp(`${head.slice(0, 12)}\\s+succeeded\\b.*Greet again`),
    );

    const logged = await shell(logs);
    assert.equal(logged.code, 0, logged.stderr);
    assert.match(logged.stdout, /"GET \/health HTTP\/1\.1" 200/, 'the web process logs its health checks');

    t.diagnostic(`from the edit to the rollout's end: ${rolledOut} ms`);
  });
});

/** The instance rows under a job's line in `status`. */
function instanceRows(status: string, job: string): string[] {
  const lines = status.split('\n');
  const at = lines.findIndex((line) => line.startsWith(`${job} `));
  assert.notEqual(at, -1, `status shows ${job}:\n${status}`);
  const rows: string[] = [];
  for (const line of lines.slice(at + 1)) {
    if (!/^\s+\d+\s/.test(line)) break;
    rows.push(line);
  }
  return rows;
}
