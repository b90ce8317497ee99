/**
 * `borealis-task-supervisor` as a Mesos agent's command executor would run it: a real
 * process with the Mesos sandbox as its working directory and `$MESOS_SANDBOX` set, the
 * task in `--task`, SIGTERM for a kill, and `--healthy` as the COMMAND health check.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, it } from 'node:test';
import {
  buildLaunch,
  healthCheckConfig,
  processConfig,
  type LaunchOptions,
} from '../../support/launch-builder.js';
import { processesMentioning } from '../../support/process-table.js';
import { eventually } from '../../support/waiting.js';

const BIN = fileURLToPath(new URL('../../../../bin/borealis-task-supervisor.js', import.meta.url));

describe('borealis-task-supervisor on a Mesos agent', () => {
  const sandboxes: string[] = [];
  afterEach(() => {
    for (const dir of sandboxes.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  const sandbox = () => {
    const dir = mkdtempSync(join(tmpdir(), 'mesos-sandbox-'));
    sandboxes.push(dir);
    return dir;
  };
  const run = (dir: string, options: LaunchOptions) => {
    const launch = buildLaunch(options);
    const child = spawn(process.execPath, [BIN, '--task', JSON.stringify({ ...launch, ports: {} })], {
      cwd: dir,
      env: { ...process.env, MESOS_SANDBOX: dir },
      stdio: 'ignore',
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    return { launch, child, exited };
  };
  const healthy = (dir: string) =>
    spawnSync(process.execPath, [BIN, '--healthy'], { cwd: dir, env: { ...process.env, MESOS_SANDBOX: dir } })
      .status === 0;

  it('runs ordered processes, turns healthy, and on SIGTERM stops every process and exits 0', async () => {
    const dir = sandbox();
    assert.equal(healthy(dir), false, 'an empty sandbox is not healthy');
    const marker = `agent-supervisor-${process.pid}-${Date.now()}`;
    const { child, exited } = run(dir, {
      processes: [
        processConfig('setup', 'echo built > site.txt'),
        processConfig('serve', `exec sleep 300 # ${marker}`),
      ],
      constraints: [{ order: ['setup', 'serve'] }],
      health: healthCheckConfig({ shell: { shell_command: 'test -f site.txt' } }),
    });
    await eventually(() => healthy(dir), 20_000, 'the supervisor to report the task healthy', 100);
    assert.equal(readFileSync(join(dir, 'site.txt'), 'utf8'), 'built\n', 'setup ran before serve');
    assert.equal(processesMentioning(marker).length, 1, 'serve runs');
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
    assert.deepEqual(processesMentioning(marker), [], 'no process outlives the task');
    assert.equal(healthy(dir), false);
  });

  it('exits 1 when the task fails, so Mesos reports TASK_FAILED', async () => {
    const dir = sandbox();
    const { exited } = run(dir, { processes: [processConfig('a', 'exit 3'), processConfig('b', 'true')] });
    assert.equal(await exited, 1);
    const status = JSON.parse(readFileSync(join(dir, 'status.json'), 'utf8')) as { state: string };
    assert.equal(status.state, 'FAILED');
  });

  it('exits 0 when every process finishes', async () => {
    const dir = sandbox();
    const { exited } = run(dir, { processes: [processConfig('a', 'true'), processConfig('b', 'true')] });
    assert.equal(await exited, 0);
  });

  it('refuses a --task that is not a Borealis task, with a message', () => {
    const result = spawnSync(process.execPath, [BIN, '--task', '{"nope":1}'], {
      cwd: sandbox(),
      encoding: 'utf8',
    });
    assert.equal(result.status, 1);
    assert.match(result.stderr, /--task is not a Borealis task/);
  });
});
