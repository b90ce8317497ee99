/**
 * What the test master's operator API reports, checked against what a hand-made scheduler
 * did to it: launched TaskInfos, status updates and their acknowledgements, offers, lost
 * agents, disconnection and teardown.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { afterEach, describe, it } from 'node:test';
import { parseMesosJson } from '../../src/cluster/mesos/json.js';
import { agents, MesosMaster } from '../support/mesos-master/index.js';
import { RawScheduler, type Json } from '../support/mesos-master/raw-scheduler.js';
import { eventually } from '../support/waiting.js';
import { MESOS_FIXTURES } from '../support/fixtures.js';

const FIXTURES = `${MESOS_FIXTURES}verbatim/`;

const AGENT = { cpus: 4, mem: 4096, disk: 10000, ports: [31000, 31099] as [number, number] };
const ATTRIBUTES = { rack: 'r1', generation: 3 };

const opened: (MesosMaster | RawScheduler)[] = [];
afterEach(async () => {
  for (const x of opened.splice(0).reverse()) {
    if (x instanceof RawScheduler) x.close();
    else await x.close();
  }
});

async function start(): Promise<MesosMaster> {
  const master = await MesosMaster.start({
    agents: agents(2, { ...AGENT, attributes: ATTRIBUTES }),
    allocationIntervalMs: 50,
  });
  opened.push(master);
  return master;
}

async function subscribe(master: MesosMaster, info: Json = {}): Promise<RawScheduler> {
  const scheduler = await RawScheduler.subscribe(master, { user: 'root', name: 'test', ...info });
  opened.push(scheduler);
  return scheduler;
}

async function get(master: MesosMaster, type: string): Promise<Json> {
  const response = await fetch(`${master.url}/api/v1`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ type }),
  });
  assert.equal(response.status, 200);
  const answer = parseMesosJson(await response.text()) as Json;
  return answer[type.toLowerCase()] as Json;
}

const idOf = (v: unknown): unknown => (v as { value?: unknown } | undefined)?.value;
const list = (v: unknown): Json[] => (Array.isArray(v) ? (v as Json[]) : []);

async function tasksOf(
  master: MesosMaster,
): Promise<{ tasks: Json[]; completed: Json[]; unreachable: Json[] }> {
  const tasks = await get(master, 'GET_TASKS');
  return {
    tasks: list(tasks.tasks),
    completed: list(tasks.completed_tasks),
    unreachable: list(tasks.unreachable_tasks),
  };
}

async function taskNamed(master: MesosMaster, taskId: string): Promise<Json> {
  const all = Object.values(await tasksOf(master)).flat();
  const task = all.find((t) => idOf(t.task_id) === taskId);
  assert.ok(task !== undefined, `${taskId} in GET_TASKS`);
  return task;
}

const cpusAndMem = [
  { name: 'cpus', type: 'SCALAR', scalar: { value: 1.5 } },
  { name: 'mem', type: 'SCALAR', scalar: { value: 256 } },
];

function taskInfo(offer: Json, taskId: string, extra: Json = {}): Json {
  return {
    name: `name-of-${taskId}`,
    task_id: { value: taskId },
    agent_id: offer.agent_id,
    resources: cpusAndMem,
    command: { shell: true, value: 'sleep 1000' },
    ...extra,
  };
}

describe('operator API: tasks', () => {
  it('reports what the TaskInfo said: labels, discovery, health check, kill policy, container', async () => {
    const master = await start();
    const scheduler = await subscribe(master);
    const [offer] = await scheduler.offers();
    const copied = {
      labels: { labels: [{ key: 'borealis.job', value: 'a/b/c' }] },
      discovery: {
        visibility: 'FRAMEWORK',
        name: 'web',
        ports: { ports: [{ number: 31005, name: 'http', protocol: 'tcp' }] },
      },
      health_check: { type: 'HTTP', http: { port: 31005, path: '/health' }, interval_seconds: 1 },
      kill_policy: { grace_period: { nanoseconds: 5_000_000_000 } },
      container: { type: 'MESOS', mesos: { image: { type: 'DOCKER', docker: { name: 'busybox' } } } },
    };
    await scheduler.launch(offer!, [taskInfo(offer!, 't1', copied)]);
    await scheduler.update('t1', 'TASK_RUNNING');
    const task = await taskNamed(master, 't1');
    for (const [field, value] of Object.entries(copied)) assert.deepEqual(task[field], value, field);
    assert.equal(task.name, 'name-of-t1');
    assert.deepEqual(task.resources, cpusAndMem);
    assert.equal(idOf(task.framework_id), scheduler.frameworkId);
    assert.equal(task.command, undefined, 'mesos.v1.Task has no command');
    assert.deepEqual(master.violations, []);
  });

  it('does not report fields Mesos would have dropped', async () => {
    const master = await start();
    master.expectViolations(); // discovery.nmae is misspelled on purpose
    const scheduler = await subscribe(master);
    const [offer] = await scheduler.offers();
    const discovery = { visibility: 'FRAMEWORK', nmae: 'web' };
    await scheduler.launch(offer!, [taskInfo(offer!, 't1', { discovery })]);
    await scheduler.update('t1', 'TASK_RUNNING');
    assert.deepEqual((await taskNamed(master, 't1')).discovery, { visibility: 'FRAMEWORK' });
    assert.deepEqual(
      master.violations.map((v) => v.path),
      ['accept.operations[0].launch.task_infos[0].discovery.nmae'],
    );
  });

  it('keeps one status per run of a state, the latest, with its health and timestamp', async () => {
    const master = await start();
    const scheduler = await subscribe(master);
    const [offer] = await scheduler.offers();
    const before = Date.now() / 1000;
    await scheduler.launch(offer!, [taskInfo(offer!, 't1')]);
    await scheduler.update('t1', 'TASK_RUNNING');
    master.reportHealth('t1', false);
    master.reportHealth('t1', true);
    const healthy = await scheduler.next(
      (e) =>
        (e.update as Json | undefined)?.status !== undefined &&
        ((e.update as Json).status as Json).healthy === true,
    );
    const task = await taskNamed(master, 't1');
    const statuses = list(task.statuses);
    assert.deepEqual(
      statuses.map((s) => [s.state, s.healthy]),
      [
        ['TASK_STARTING', undefined],
        ['TASK_RUNNING', true],
      ],
    );
    const times = statuses.map((s) => s.timestamp as number);
    assert.ok(times[0]! >= before - 0.001 && times[1]! >= times[0]!, String(times));
    assert.equal(task.status_update_state, 'TASK_RUNNING');
    assert.equal(task.status_update_uuid, ((healthy.update as Json).status as Json).uuid);
  });

  it('moves a terminal task to completed_tasks once its updates are acknowledged', async () => {
    const master = await start();
    const scheduler = await subscribe(master);
    scheduler.autoAck = false;
    const [offer] = await scheduler.offers();
    await scheduler.launch(offer!, [taskInfo(offer!, 't1')]);
    const starting = await scheduler.update('t1', 'TASK_STARTING');
    await scheduler.call('KILL', { kill: { task_id: { value: 't1' } } });
    const ack = (update: Json) => {
      const status = update.update as { status: Json };
      const { agent_id, task_id, uuid } = status.status;
      return scheduler.call('ACKNOWLEDGE', { acknowledge: { agent_id, task_id, uuid } });
    };
    await ack(starting);
    await ack(await scheduler.update('t1', 'TASK_RUNNING'));
    const killed = await scheduler.update('t1', 'TASK_KILLED');
    assert.deepEqual(
      (await tasksOf(master)).tasks.map((t) => t.state),
      ['TASK_KILLED'],
      'unacknowledged',
    );
    await ack(killed);
    const { tasks, completed } = await tasksOf(master);
    assert.deepEqual([tasks.length, completed.map((t) => t.state)], [0, ['TASK_KILLED']]);
  });

  it('a lost agent is no longer listed; its tasks of a PARTITION_AWARE framework are unreachable', async () => {
    const master = await start();
    const scheduler = await subscribe(master, { capabilities: [{ type: 'PARTITION_AWARE' }] });
    const [offer] = await scheduler.offers();
    await scheduler.launch(offer!, [taskInfo(offer!, 't1')]);
    await scheduler.update('t1', 'TASK_RUNNING');
    master.loseAgent(String(idOf(offer!.agent_id)));
    await scheduler.update('t1', 'TASK_UNREACHABLE');
    const { unreachable } = await tasksOf(master);
    assert.deepEqual(
      unreachable.map((t) => [idOf(t.task_id), list(t.statuses).at(-1)?.reason]),
      [['t1', 'REASON_AGENT_REMOVED']],
    );
    const listed = list((await get(master, 'GET_AGENTS')).agents).map((a) => idOf((a.agent_info as Json).id));
    assert.deepEqual(
      listed,
      master.agentIds().filter((id) => id !== idOf(offer!.agent_id)),
    );
  });
});

describe('operator API: agents, frameworks, master', () => {
  it('splits each agent into allocated (tasks) and offered resources, with the offers’ attributes', async () => {
    const master = await start();
    const scheduler = await subscribe(master);
    const offers = await scheduler.offers();
    const [used, idle] = offers;
    await scheduler.launch(used!, [taskInfo(used!, 't1')]);
    await scheduler.update('t1', 'TASK_RUNNING');
    const byId = new Map(
      list((await get(master, 'GET_AGENTS')).agents).map((a) => [idOf((a.agent_info as Json).id), a]),
    );
    const usedAgent = byId.get(idOf(used!.agent_id))!;
    const idleAgent = byId.get(idOf(idle!.agent_id))!;
    const scalars = (resources: unknown) =>
      list(resources).map((r) => [r.name, (r.scalar as Json | undefined)?.value]);
    assert.deepEqual(scalars(usedAgent.allocated_resources), [
      ['cpus', 1.5],
      ['mem', 256],
    ]);
    assert.equal(
      usedAgent.offered_resources,
      undefined,
      'its remainder is filtered by the ACCEPT, not offered',
    );
    assert.deepEqual(idleAgent.offered_resources, idle!.resources, 'the outstanding offer');
    assert.equal(idleAgent.allocated_resources, undefined);
    for (const offer of offers) {
      const agentInfo = byId.get(idOf(offer.agent_id))!.agent_info as Json;
      assert.deepEqual(agentInfo.attributes, offer.attributes);
      assert.equal(agentInfo.hostname, offer.hostname);
    }
  });

  it('reports a framework connected while subscribed, disconnected after, gone after teardown', async () => {
    const master = await start();
    const scheduler = await subscribe(master, {
      failover_timeout: 600,
      roles: ['web'],
      capabilities: [{ type: 'MULTI_ROLE' }],
    });
    const framework = async () => list((await get(master, 'GET_FRAMEWORKS')).frameworks)[0];
    const first = (await framework())!;
    assert.deepEqual([first.active, first.connected, first.recovered], [true, true, false]);
    assert.deepEqual(first.framework_info, {
      checkpoint: false,
      failover_timeout: 600,
      user: 'root',
      name: 'test',
      roles: ['web'],
      capabilities: [{ type: 'MULTI_ROLE' }],
      id: { value: scheduler.frameworkId },
    });
    scheduler.close();
    await eventually(
      async () => (await framework())?.connected === false,
      5000,
      'the master to see the disconnection',
    );
    assert.equal((await framework())!.active, false);
    const again = await subscribe(master, {
      id: { value: scheduler.frameworkId },
      failover_timeout: 600,
      roles: ['web'],
      capabilities: [{ type: 'MULTI_ROLE' }],
    });
    const [offer] = await again.offers();
    await again.launch(offer!, [taskInfo(offer!, 't1')]);
    await again.update('t1', 'TASK_RUNNING');
    const resubscribed = (await framework())!;
    const ns = (time: unknown) => (time as { nanoseconds: bigint }).nanoseconds;
    assert.equal(ns(resubscribed.registered_time), ns(first.registered_time));
    assert.ok(ns(resubscribed.reregistered_time) > ns(first.reregistered_time));
    await again.call('TEARDOWN');
    assert.equal(await framework(), undefined, 'removed before TEARDOWN is answered');
    const [killed] = (await tasksOf(master)).completed;
    assert.deepEqual(
      [killed?.state, list(killed?.statuses).at(-1)?.reason],
      ['TASK_KILLED', 'REASON_FRAMEWORK_REMOVED'],
    );
  });

  it('GET_HEALTH and GET_MASTER answer as the documented examples do', async () => {
    const master = await start();
    const example = (name: string) => parseMesosJson(readFileSync(`${FIXTURES}${name}`, 'utf8')) as Json;
    assert.deepEqual(await get(master, 'GET_HEALTH'), example('GET_HEALTH.response.json').get_health);
    const info = (await get(master, 'GET_MASTER')).master_info as Json;
    const documented = (example('GET_MASTER.response.json').get_master as Json).master_info as Json;
    assert.deepEqual(Object.keys(info).sort(), Object.keys(documented).sort());
    const { port } = new URL(master.url);
    assert.deepEqual(
      [info.port, (info.address as Json).port, info.pid],
      [Number(port), Number(port), `master@127.0.0.1:${port}`],
    );
    assert.equal(info.ip, 0x0100007f, '127.0.0.1 packed as Mesos packs it');
  });
});
