/** A task's life on the local cluster, with real processes: start, finish, fail, ordering, ports. */
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { SandboxStatus } from '../../../src/cluster/local/records.js';
import { LocalCluster } from '../../../src/cluster/local/cluster.js';
import { buildLaunch, processConfig } from '../../support/launch-builder.js';
import { localClusterFixture, type LocalClusterFixture } from '../../support/local-cluster-fixture.js';
import { UpdateRecorder } from '../../support/waiting.js';

const WAIT_FOR_GO = 'while [ ! -e go ]; do sleep 0.02; done';

async function readStatus(fx: LocalClusterFixture, taskId: string): Promise<SandboxStatus> {
  return JSON.parse(
    await readFile(join(fx.cluster.sandboxPath(taskId), 'status.json'), 'utf8'),
  ) as SandboxStatus;
}

function sandboxFile(fx: LocalClusterFixture, taskId: string, name: string): Promise<string> {
  return readFile(join(fx.cluster.sandboxPath(taskId), name), 'utf8');
}

describe('local cluster: task lifecycle', () => {
  let fx: LocalClusterFixture;
  beforeEach(async () => {
    fx = await localClusterFixture();
  });
  afterEach(async () => {
    await fx.cleanup();
  });

  it('reports STARTING, then RUNNING, then FINISHED once the process exits 0', async (t) => {
    const launch = buildLaunch({
      processes: [processConfig('main', `echo out; echo err >&2; ${WAIT_FOR_GO}`)],
    });
    const running = await fx.start(launch);
    assert.equal(running.previous, 'STARTING');
    assert.equal(running.task.healthy, undefined);
    // A second view that polls once an hour: the end of the task can only reach it as a
    // change notification, not through the safety-net poll, however slow the machine.
    const watching = new LocalCluster({ root: fx.root, hostname: 'test-host', pollMs: 3_600_000 });
    const watched = new UpdateRecorder(watching);
    t.after(() => watching.close());
    assert.equal((await watching.snapshot()).find((task) => task.taskId === launch.taskId)?.state, 'RUNNING');

    await writeFile(join(fx.cluster.sandboxPath(launch.taskId), 'go'), '');
    const finished = await fx.events.waitFor(launch.taskId, 'FINISHED');
    await watched.waitFor(launch.taskId, 'FINISHED');

    assert.deepEqual(fx.events.states(launch.taskId), ['STARTING', 'RUNNING', 'FINISHED']);
    assert.deepEqual(
      {
        jobId: finished.task.jobId,
        instance: finished.task.instance,
        configHash: finished.task.configHash,
        commit: finished.task.commit,
        host: finished.task.host,
      },
      {
        jobId: launch.jobId,
        instance: 0,
        configHash: launch.configHash,
        commit: launch.commit,
        host: 'test-host',
      },
    );
    assert.ok(finished.task.updatedAt >= finished.task.launchedAt);
    assert.equal(await sandboxFile(fx, launch.taskId, 'logs/main.log'), 'out\nerr\n');
    const status = await readStatus(fx, launch.taskId);
    assert.deepEqual(status.processes.main, { state: 'SUCCESS', runs: 1, failures: 0, exitCode: 0 });
    const [seen] = (await fx.cluster.snapshot()).filter((task) => task.taskId === launch.taskId);
    assert.equal(seen?.state, 'FINISHED');
  });

  it('runs a process with max_failures 3 exactly three times, then fails the task', async () => {
    const launch = buildLaunch({
      processes: [processConfig('flaky', 'echo run >> runs.txt; exit 3', { max_failures: 3 })],
    });
    const failed = await fx.start(launch, 'FAILED');

    assert.equal(failed.task.reason, 'REASON_COMMAND_EXECUTOR_FAILED');
    assert.match(failed.task.message ?? '', /flaky/);
    assert.equal(await sandboxFile(fx, launch.taskId, 'runs.txt'), 'run\nrun\nrun\n');
    const status = await readStatus(fx, launch.taskId);
    assert.deepEqual(status.processes.flaky, { state: 'FAILED', runs: 3, failures: 3, exitCode: 3 });
  });

  it('starts an ordered process only after its predecessor succeeded', async () => {
    const processes = [
      processConfig('serve', 'echo serve >> trail; test -e setup.done'),
      processConfig('setup', 'echo setup >> trail; sleep 0.2; touch setup.done'),
    ];
    const ordered = buildLaunch({ processes, constraints: [{ order: ['setup', 'serve'] }] });
    const unordered = buildLaunch({ processes });
    await fx.cluster.launch([ordered, unordered]);

    await fx.events.waitFor(ordered.taskId, 'FINISHED');
    assert.equal(await sandboxFile(fx, ordered.taskId, 'trail'), 'setup\nserve\n');
    // Without the constraint both start at once and `serve` finds no marker: the check has teeth.
    await fx.events.waitFor(unordered.taskId, 'FAILED');
  });

  it('assigns ports and passes them, the job env and the Mesos variables to processes', async () => {
    const cmdline = [
      'printf "%s\\n"',
      '"{{thermos.ports[http]}}" "$PORT_HTTP" "$PORT_ADMIN" "$GREETING"',
      '"{{mesos.instance}}" "{{thermos.task_id}}" "{{mesos.hostname}}" "$MESOS_SANDBOX" > out.txt',
    ].join(' ');
    const launch = buildLaunch({
      instance: 3,
      processes: [processConfig('main', cmdline)],
      resources: { ports: ['http', 'admin'] },
      env: { GREETING: 'hello world' },
    });
    const finished = await fx.start(launch, 'FINISHED');

    const { http, admin } = finished.task.ports;
    assert.ok(http !== undefined && http > 0 && admin !== undefined && admin > 0, 'both ports assigned');
    assert.notEqual(http, admin);
    const lines = (await sandboxFile(fx, launch.taskId, 'out.txt')).trimEnd().split('\n');
    assert.deepEqual(lines, [
      String(http),
      String(http),
      String(admin),
      'hello world',
      '3',
      launch.taskId,
      'test-host',
      fx.cluster.sandboxPath(launch.taskId),
    ]);
    const record = JSON.parse(await sandboxFile(fx, launch.taskId, 'task.json')) as { ports: unknown };
    assert.deepEqual(record.ports, { http, admin });
  });

  it('does not wait for ephemeral processes and runs final processes last', async () => {
    const launch = buildLaunch({
      processes: [
        processConfig('cleanup', 'echo final >> trail', { final: true }),
        processConfig('side', 'exec sleep 1000', { ephemeral: true }),
        processConfig('main', 'echo main >> trail'),
      ],
    });
    await fx.start(launch, 'FINISHED');

    assert.equal(await sandboxFile(fx, launch.taskId, 'trail'), 'main\nfinal\n');
    const status = await readStatus(fx, launch.taskId);
    assert.equal(status.processes.side?.state, 'KILLED');
    assert.equal(status.processes.cleanup?.state, 'SUCCESS');
  });

  it('fails a task whose command line names an unbound template variable', async () => {
    const launch = buildLaunch({ processes: [processConfig('main', 'echo {{thermos.ports[nope]}}')] });
    const failed = await fx.start(launch, 'FAILED');

    assert.equal(failed.task.reason, 'REASON_TASK_INVALID');
    assert.match(failed.task.message ?? '', /thermos\.ports\[nope\]/);
  });

  it('launches a task id only once', async () => {
    const launch = buildLaunch({ processes: [processConfig('main', 'echo once >> count')] });
    await fx.cluster.launch([launch, launch]);
    await fx.events.waitFor(launch.taskId, 'FINISHED');
    await fx.cluster.launch([launch]);

    assert.equal(await sandboxFile(fx, launch.taskId, 'count'), 'once\n');
    const states = fx.events.states(launch.taskId);
    assert.equal(states.filter((state) => state === 'STARTING').length, 1);
    assert.equal(states.at(-1), 'FINISHED');
  });
});
