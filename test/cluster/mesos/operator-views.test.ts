/**
 * The operator client's typed views on every in-scope operator response example: the
 * corrected fixtures and the verbatim ones that are valid JSON. Expected values are read
 * off the fixture files (64-bit integers from their text, so they are exact).
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { MesosJsonError, parseMesosJson } from '../../../src/cluster/mesos/json.js';
import type { OperatorAgent, OperatorFramework } from '../../../src/cluster/mesos/operator-types.js';
import {
  agentsView,
  frameworksView,
  healthView,
  masterView,
  stateView,
  tasksView,
} from '../../../src/cluster/mesos/operator-views.js';
import { MESOS_FIXTURES } from '../../support/fixtures.js';

const FIXTURES = MESOS_FIXTURES;
const text = (name: string): string => readFileSync(`${FIXTURES}${name}`, 'utf8');
const payload = (name: string, key: string): unknown =>
  (parseMesosJson(text(name)) as Record<string, unknown>)[key];

/** The digits of every `"nanoseconds": N` in the text, in order. */
const nanosecondDigits = (source: string): string[] =>
  [...source.matchAll(/"nanoseconds"\s*:\s*(\d+)/g)].map((m) => m[1]!);

const timesOf = (agents: OperatorAgent[], frameworks: OperatorFramework[]): (bigint | undefined)[] => [
  ...agents.map((a) => a.registeredNs),
  ...frameworks.flatMap((f) => [f.registeredNs, f.reregisteredNs]),
];

const WHOLE_PORT_RANGE = [{ begin: 31000, end: 32000 }];
const DOC_RESOURCES = { cpus: 2, mem: 1024, disk: 1024, gpus: 0, ports: WHOLE_PORT_RANGE };

/** The operator examples in scope of the client; the others are about calls it does not make. */
const IN_SCOPE = ['GET_HEALTH', 'GET_STATE', 'GET_AGENTS', 'GET_FRAMEWORKS', 'GET_TASKS', 'GET_MASTER'];

describe('operator views on the fixtures', () => {
  it('covers every in-scope response example there is', () => {
    const responses = (dir: string) =>
      readdirSync(`${FIXTURES}${dir}`).filter((f) => /^GET_\w+\.response\.json$/.test(f));
    const covered = responses('corrected/')
      .concat(responses('verbatim/'))
      .map((f) => f.split('.')[0]!);
    assert.deepEqual([...new Set(covered.filter((c) => IN_SCOPE.includes(c)))].sort(), [...IN_SCOPE].sort());
  });

  for (const name of ['corrected/GET_STATE.response.json', 'verbatim/GET_STATE.response.json']) {
    it(`GET_STATE: ${name}`, () => {
      const state = stateView(payload(name, 'get_state'));
      const [agent] = state.agents;
      assert.equal(state.agents.length, 1);
      assert.deepEqual(
        [agent!.agentId, agent!.hostname, agent!.port, agent!.active, agent!.version],
        ['628984d0-4213-4140-bcb0-99d7ef46b1df-S0', 'myhost', 34626, true, '1.1.0'],
      );
      assert.deepEqual(agent!.total, DOC_RESOURCES);
      assert.deepEqual(agent!.allocated, { cpus: 0, mem: 0, disk: 0, gpus: 0, ports: [] });
      const [framework] = state.frameworks.frameworks;
      assert.deepEqual(
        [framework!.frameworkId, framework!.name, framework!.user, framework!.roles, framework!.recovered],
        ['628984d0-4213-4140-bcb0-99d7ef46b1df-0000', 'default', 'root', ['*'], false],
      );
      assert.deepEqual([state.tasks.tasks.length, state.tasks.unreachable.length], [0, 0]);
      const [done] = state.tasks.completed;
      assert.equal(done!.taskId, 'eb5cb680-a998-4605-8811-e79db8734c02');
      assert.equal(done!.state, 'TASK_FINISHED');
      assert.deepEqual(
        done!.statuses.map((s) => [s.state, s.timestamp, s.source]),
        [
          ['TASK_RUNNING', 1470820172.07315, 'SOURCE_EXECUTOR'],
          ['TASK_FINISHED', 1470820172.09382, 'SOURCE_EXECUTOR'],
        ],
      );
      assert.equal(done!.latestStatus, done!.statuses[1]);
      assert.deepEqual(done!.resources, DOC_RESOURCES);
      assert.deepEqual([done!.labels, done!.ports, done!.hasHealthCheck], [{}, {}, false]);
      const times = timesOf(state.agents, state.frameworks.frameworks);
      assert.deepEqual(times, nanosecondDigits(text(name)).map(BigInt));
    });
  }

  it('GET_AGENTS (corrected), and the verbatim one is not JSON', () => {
    const name = 'corrected/GET_AGENTS.response.json';
    const [agent, ...more] = agentsView(payload(name, 'get_agents'));
    assert.equal(more.length, 0);
    assert.equal(agent!.agentId, '3669ea49-c3c4-4b13-adee-05b8f9cb2562-S0');
    assert.equal(agent!.hostname, 'host');
    assert.deepEqual(agent!.total, DOC_RESOURCES);
    const [digits] = nanosecondDigits(text(name));
    assert.equal(agent!.registeredNs, BigInt(digits!));
    assert.equal(agent!.registeredAt, Number(digits!.slice(0, -6)));
    assert.throws(() => parseMesosJson(text('verbatim/GET_AGENTS.response.json')), MesosJsonError);
  });

  for (const name of ['corrected/GET_FRAMEWORKS.response.json', 'verbatim/GET_FRAMEWORKS.response.json']) {
    it(`GET_FRAMEWORKS: ${name}`, () => {
      const { frameworks, completed } = frameworksView(payload(name, 'get_frameworks'));
      assert.equal(completed.length, 0);
      const [framework] = frameworks;
      assert.deepEqual(
        [framework!.frameworkId, framework!.active, framework!.connected, framework!.recovered],
        ['361be53a-4d1b-42c1-bec3-e3979eff90bd-0000', true, true, false],
      );
      assert.deepEqual(timesOf([], frameworks), nanosecondDigits(text(name)).map(BigInt));
      assert.equal(typeof framework!.registeredNs, 'bigint');
    });
  }

  it('the operator SUBSCRIBED event’s get_state reads like GET_STATE', () => {
    const subscribed = payload('corrected/SUBSCRIBE.operator.response.json', 'subscribed') as Record<
      string,
      unknown
    >;
    const fromEvent = stateView(subscribed.get_state);
    assert.deepEqual(fromEvent, stateView(payload('corrected/GET_STATE.response.json', 'get_state')));
    const times = timesOf(fromEvent.agents, fromEvent.frameworks.frameworks);
    assert.deepEqual(times, nanosecondDigits(text('corrected/SUBSCRIBE.operator.response.json')).map(BigInt));
  });

  it('GET_TASKS (verbatim)', () => {
    const { tasks, completed, unreachable } = tasksView(
      payload('verbatim/GET_TASKS.response.json', 'get_tasks'),
    );
    assert.deepEqual([completed.length, unreachable.length], [0, 0]);
    const [task] = tasks;
    assert.deepEqual(
      [task!.taskId, task!.name, task!.state, task!.agentId, task!.frameworkId],
      [
        '1',
        'test',
        'TASK_RUNNING',
        'd4bd102f-e25f-46dc-bb5d-8b10bca133d8-S0',
        'd4bd102f-e25f-46dc-bb5d-8b10bca133d8-0000',
      ],
    );
    assert.deepEqual(task!.latestStatus, {
      state: 'TASK_RUNNING',
      source: 'SOURCE_EXECUTOR',
      timestamp: 1470820172.32565,
    });
  });

  it('GET_HEALTH and GET_MASTER (verbatim)', () => {
    assert.equal(healthView(payload('verbatim/GET_HEALTH.response.json', 'get_health')), true);
    const master = masterView(payload('verbatim/GET_MASTER.response.json', 'get_master'));
    const { raw, ...fields } = master;
    assert.deepEqual(fields, {
      id: '310ffdac-0b73-408d-acf0-2adcd21cb4b7',
      hostname: 'myhost',
      ip: '127.0.1.1',
      port: 34626,
      version: '1.1.0',
      pid: 'master@127.0.1.1:34626',
    });
    assert.equal(raw.ip, 16842879);
    // Without `address`, the packed `ip` says the same.
    assert.equal(masterView({ master_info: { id: 'x', ip: raw.ip, port: 1 } }).ip, '127.0.1.1');
  });

  it('reads health as false unless the master says healthy', () => {
    assert.deepEqual(
      [healthView({ healthy: false }), healthView({}), healthView(undefined)],
      [false, false, false],
    );
  });
});
