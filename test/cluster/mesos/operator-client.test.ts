/**
 * The operator client against the protocol-faithful test master, reached through a
 * non-leading master that redirects: tasks launched by Borealis's own scheduler driver
 * (MesosCluster) must read back, through GET_TASKS and `observedTasks`, as the driver
 * itself sees them. Every request the client sends is checked against master.proto.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { MesosCluster } from '../../../src/cluster/mesos/cluster.js';
import { observedTasks } from '../../../src/cluster/mesos/observed.js';
import { OperatorClient } from '../../../src/cluster/mesos/operator-client.js';
import type { ObservedTask, TaskLaunch } from '../../../src/cluster/types.js';
import { newTaskId } from '../../../src/deploy/task-ids.js';
import { BorealisError } from '../../../src/errors.js';
import { FileStateStore } from '../../../src/state/file/file-store.js';
import type { JobSpec } from '../../../src/jobspec/types.js';
import { deadUrl, listen } from '../../support/http-peers.js';
import { agents, MesosMaster } from '../../support/mesos-master/index.js';
import { spec } from '../../support/specs.js';
import { UpdateRecorder } from '../../support/waiting.js';

const checked = spec({
  name: 'checked',
  service: true,
  health_check_config: { shell: { shell_command: 'true' }, interval_secs: 1 },
  task: {
    processes: [{ name: 'serve', cmdline: 'serve --port {{thermos.ports[http]}}' }],
    resources: { cpu: 0.5, ram: '128MiB', disk: '64MiB', ports: ['http', 'admin'] },
  },
});
const plain = spec({ name: 'plain', instances: 2, service: true });

const launchesOf = (job: JobSpec, count: number, commit: string): TaskLaunch[] =>
  Array.from({ length: count }, (_, instance) => ({
    taskId: newTaskId(job.key, instance),
    jobId: job.id,
    key: job.key,
    instance,
    configHash: job.configHash,
    commit,
    config: job.instance,
  }));

/** What both views of a task must agree on; times come from different clocks. */
const comparable = ({ launchedAt: _l, updatedAt: _u, ...rest }: ObservedTask) => rest;
const byId = (a: { taskId: string }, b: { taskId: string }) => a.taskId.localeCompare(b.taskId);

async function raw(master: MesosMaster, type: string): Promise<string> {
  const response = await fetch(`${master.url}/api/v1`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ type }),
  });
  return response.text();
}

describe('OperatorClient on the test master', () => {
  let master: MesosMaster;
  let follower: MesosMaster;
  let client: OperatorClient;
  let cluster: MesosCluster;
  let recorder: UpdateRecorder;
  let store: FileStateStore;
  let stateDir: string;
  const launches = [...launchesOf(checked, 1, 'c1'), ...launchesOf(plain, 2, 'c2')];

  before(async () => {
    master = await MesosMaster.start({
      agents: agents(3, {
        cpus: 4,
        mem: 4096,
        disk: 10240,
        ports: [31000, 31100],
        attributes: { rack: 'r1' },
      }),
      heartbeatSeconds: 0.5,
      allocationIntervalMs: 50,
      // The health check gives no verdict until the test reports one (reportHealth).
      behaviour: () => ({ kind: 'runs', healthyAfterMs: 3_600_000 }),
    });
    follower = await MesosMaster.start({ leader: `127.0.0.1:${new URL(master.url).port}` });
    stateDir = mkdtempSync(join(tmpdir(), 'borealis-operator-'));
    store = await FileStateStore.open(stateDir);
    cluster = new MesosCluster({
      masters: [master.url],
      framework: { user: 'root', roles: ['prod'] },
      store,
    });
    recorder = new UpdateRecorder(cluster);
    await cluster.start();
    await cluster.launch(launches);
    await recorder.waitFor(launches[0]!.taskId, 'STARTING', 10_000);
    for (const launch of launches.slice(1)) await recorder.waitFor(launch.taskId, 'RUNNING', 10_000);
    client = new OperatorClient({ masters: [await deadUrl(), follower.url] });
  });
  after(async () => {
    recorder.stop();
    await cluster.close();
    await follower.close();
    await master.close();
    await store.close();
    rmSync(stateDir, { recursive: true, force: true });
  });

  const observed = async () => {
    const { tasks, unreachable, completed } = await client.getTasks();
    return observedTasks(
      [...tasks, ...unreachable, ...completed],
      await client.getAgents(),
      cluster.frameworkId!,
    );
  };

  it('finds the leader past a dead master and a redirecting one', async () => {
    assert.equal(await client.getHealth(), true);
    assert.equal(client.leader, master.url);
    assert.equal((await client.getMaster()).port, Number(new URL(master.url).port));
  });

  it('reads the tasks back as the scheduler driver sees them, a health-checked one STARTING', async () => {
    const fromOperator = (await observed()).sort(byId);
    const fromDriver = [...(await cluster.snapshot())].sort(byId);
    assert.deepEqual(fromOperator.map(comparable), fromDriver.map(comparable));
    assert.deepEqual(fromOperator.map((t) => t.state).sort(), ['RUNNING', 'RUNNING', 'STARTING']);
    for (const task of fromOperator) {
      assert.ok(Math.abs(task.launchedAt - Date.now()) < 60_000, `${task.launchedAt} is about now`);
      assert.ok(task.updatedAt >= task.launchedAt);
    }
  });

  it('reports the health-checked task RUNNING once its check has passed', async () => {
    const taskId = launches[0]!.taskId;
    master.reportHealth(taskId, true);
    await recorder.waitFor(taskId, 'RUNNING');
    const task = (await observed()).find((t) => t.taskId === taskId)!;
    assert.deepEqual([task.state, task.healthy], ['RUNNING', true]);
    assert.deepEqual(
      comparable(task),
      comparable((await cluster.snapshot()).find((t) => t.taskId === taskId)!),
    );
  });

  it('reads agents: hosts, attributes, allocated resources, exact registration times', async () => {
    const agentList = await client.getAgents();
    assert.deepEqual(agentList.map((a) => a.agentId).sort(), master.agentIds().sort());
    assert.ok(agentList.every((a) => a.active && a.attributes.rack === 'r1' && a.total.cpus === 4));
    const allocatedCpus = agentList.reduce((sum, a) => sum + a.allocated.cpus, 0);
    const launchedCpus = launches.reduce((sum, l) => sum + l.config.task.resources.cpu, 0);
    assert.equal(allocatedCpus, launchedCpus);
    const digits = [...(await raw(master, 'GET_AGENTS')).matchAll(/"nanoseconds":(\d+)/g)].map((m) =>
      BigInt(m[1]!),
    );
    assert.deepEqual(
      agentList.map((a) => a.registeredNs),
      digits,
    );
    assert.ok(digits.every((ns) => ns > BigInt(Number.MAX_SAFE_INTEGER)));
  });

  it('reads the framework, and GET_STATE agrees with the single calls', async () => {
    const { frameworks } = await client.getFrameworks();
    assert.deepEqual(
      frameworks.map((f) => [f.frameworkId, f.name, f.roles, f.connected, f.active]),
      [[cluster.frameworkId, 'borealis', ['prod'], true, true]],
    );
    const state = await client.getState();
    assert.deepEqual(
      state.frameworks.frameworks.map((f) => f.frameworkId),
      [cluster.frameworkId],
    );
    assert.deepEqual(state.agents.map((a) => a.agentId).sort(), master.agentIds().sort());
    assert.deepEqual(state.tasks.tasks.map((t) => t.taskId).sort(), launches.map((l) => l.taskId).sort());
  });

  it('errors name the call, the master and what it answered', async () => {
    const failed = await client.call('GET_FLAGS').catch((e: unknown) => e);
    assert.ok(failed instanceof BorealisError);
    assert.equal(failed.code, 'MESOS_OPERATOR_CALL_FAILED');
    assert.equal(
      failed.message,
      `GET_FLAGS to ${master.url}/api/v1 answered 501: GET_FLAGS is not simulated by the test master`,
    );
    const dead = [await deadUrl(), await deadUrl()];
    const unreachable = await new OperatorClient({ masters: dead }).getHealth().catch((e: unknown) => e);
    assert.ok(unreachable instanceof BorealisError);
    assert.equal(unreachable.code, 'MESOS_NO_LEADER');
    assert.match(unreachable.message, /GET_HEALTH/);
    for (const url of dead)
      assert.match(unreachable.message, new RegExp(`${url}: fetch failed \\(ECONNREFUSED\\)`));
  });

  it('an answer that is not Mesos JSON is an error naming the master', async () => {
    const server = createServer((_req, res) => res.writeHead(200).end('{{"type":"GET_AGENTS"}'));
    const url = await listen(server);
    try {
      const error = await new OperatorClient({ masters: [url] }).getAgents().catch((e: unknown) => e);
      assert.ok(error instanceof BorealisError);
      assert.equal(error.code, 'MESOS_OPERATOR_BAD_RESPONSE');
      assert.match(error.message, new RegExp(`^GET_AGENTS to ${url}/api/v1 answered invalid JSON`));
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('sent nothing the operator API would have silently dropped', () => {
    assert.deepEqual([...master.violations, ...follower.violations], []);
  });
});
