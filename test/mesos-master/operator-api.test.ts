/**
 * The test master's operator API (`POST /api/v1`) through real HTTP: the transport rules of
 * `Master::Http::api`, unknown fields recorded as violations, and answers with the shapes of
 * the documented examples (every key path also in the fixture, every required field there).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, afterEach, before, describe, it } from 'node:test';
import { parseMesosJson, stringifyMesosJson } from '../../src/cluster/mesos/json.js';
import { agents, MesosMaster, OPERATOR_MESSAGES, validateMessage } from '../support/mesos-master/index.js';
import { RawScheduler, type Json } from '../support/mesos-master/raw-scheduler.js';
import { MESOS_FIXTURES } from '../support/fixtures.js';

const FIXTURES = MESOS_FIXTURES;
const fixture = (name: string): unknown => parseMesosJson(readFileSync(FIXTURES + name, 'utf8'));

const AGENT = { cpus: 4, mem: 4096, disk: 10000, ports: [31000, 31099] as [number, number] };

function post(master: MesosMaster, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${master.url}/api/v1`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : stringifyMesosJson(body),
    redirect: 'manual',
  });
}

async function status(response: Response): Promise<number> {
  await response.text();
  return response.status;
}

async function answer(master: MesosMaster, type: string): Promise<Json> {
  const response = await post(master, { type });
  const text = await response.text();
  assert.equal(response.status, 200, `${type}: ${text}`);
  assert.equal(response.headers.get('content-type'), 'application/json');
  return parseMesosJson(text) as Json;
}

/** Key paths with array indices collapsed, and arrays of the same message type named alike. */
function keyPaths(value: unknown, prefix = '', out = new Set<string>()): Set<string> {
  if (Array.isArray(value)) value.forEach((item) => keyPaths(item, `${prefix}[]`, out));
  else if (typeof value === 'object' && value !== null) {
    for (const [key, child] of Object.entries(value)) {
      const path = prefix === '' ? sameType(key) : `${prefix}.${sameType(key)}`;
      out.add(path);
      keyPaths(child, path, out);
    }
  }
  return out;
}

/** Repeated fields of one message type: the examples fill one of them, the others alike. */
const SAME_TYPE: Record<string, string> = {
  allocated_resources: 'total_resources',
  offered_resources: 'total_resources',
  completed_tasks: 'tasks',
  unreachable_tasks: 'tasks',
};
const sameType = (key: string): string => SAME_TYPE[key] ?? key;

const notIn = (a: Set<string>, b: Set<string>): string[] => [...a].filter((p) => !b.has(p)).sort();

describe('operator API: transport', () => {
  let master: MesosMaster;
  before(async () => (master = await MesosMaster.start({ agents: agents(1, AGENT) })));
  after(() => master.close());

  it('answers 405 to other methods, naming POST', async () => {
    const response = await fetch(`${master.url}/api/v1`);
    assert.equal(await status(response), 405);
    assert.equal(response.headers.get('allow'), 'POST');
  });

  it('answers 400 without a Content-Type and 415 to one that is not exactly application/json', async () => {
    const none = await fetch(`${master.url}/api/v1`, {
      method: 'POST',
      body: new TextEncoder().encode('{}'),
    });
    assert.equal(none.status, 400);
    assert.match(await none.text(), /Content-Type/);
    for (const type of ['application/json; charset=utf-8', 'text/plain;charset=UTF-8', 'Application/JSON']) {
      assert.equal(
        await status(await post(master, { type: 'GET_HEALTH' }, { 'Content-Type': type })),
        415,
        type,
      );
    }
  });

  it('answers 406 to an Accept that allows neither JSON nor protobuf, and JSON otherwise', async () => {
    for (const accept of ['text/html', 'application/json;q=0, text/html', 'image/*']) {
      assert.equal(await status(await post(master, { type: 'GET_HEALTH' }, { Accept: accept })), 406, accept);
    }
    for (const accept of ['application/json', '*/*', 'application/*', 'text/html, application/json;q=0.1']) {
      assert.equal(await status(await post(master, { type: 'GET_HEALTH' }, { Accept: accept })), 200, accept);
    }
  });

  it('answers 400 to unparsable JSON and to a call without a (known) type; 501 to UNKNOWN', async () => {
    master.expectViolations(); // GET_HEALTHY, an unknown call type, is sent on purpose
    assert.equal(await status(await post(master, '{"type":')), 400);
    const untyped = await post(master, {});
    assert.equal(untyped.status, 400);
    assert.match(await untyped.text(), /Expecting 'type' to be present/);
    assert.equal(await status(await post(master, { type: 'GET_HEALTHY' })), 400);
    assert.equal(await status(await post(master, { type: 'UNKNOWN' })), 501);
  });

  it('answers 400 to a call missing its payload, and 501 to calls it does not simulate', async () => {
    const metrics = await post(master, { type: 'GET_METRICS' });
    assert.equal(metrics.status, 400);
    assert.match(await metrics.text(), /Expecting 'get_metrics' to be present/);
    assert.equal(await status(await post(master, { type: 'GET_FLAGS' })), 501);
  });

  it('a non-leading master redirects every call, GET_HEALTH included, protocol-relative', async () => {
    const follower = await MesosMaster.start({ leader: `127.0.0.1:${new URL(master.url).port}` });
    try {
      follower.expectViolations(); // NOT_A_CALL is sent on purpose
      for (const type of ['GET_HEALTH', 'GET_STATE', 'NOT_A_CALL']) {
        const response = await post(follower, { type });
        assert.equal(await status(response), 307, type);
        assert.equal(response.headers.get('location'), `//127.0.0.1:${new URL(master.url).port}/api/v1`);
      }
      assert.equal(await status(await fetch(`${follower.url}/api/v1`, { redirect: 'manual' })), 307);
    } finally {
      await follower.close();
    }
  });
});

describe('operator API: violations', () => {
  let master: MesosMaster;
  before(async () => (master = await MesosMaster.start({ agents: agents(1, AGENT) })));
  after(() => master.close());
  const recorded = () => master.violations.map(({ call, path, kind }) => ({ call, path, kind }));

  it('records unknown fields and enum values, as Mesos would silently drop them', async () => {
    master.expectViolations();
    assert.equal(await status(await post(master, { type: 'GET_STATE', get_state: {} })), 200);
    assert.equal(await status(await post(master, { type: 'GET_TASK' })), 400);
    const teardown = { type: 'TEARDOWN', teardown: { framework_id: { value: 'f' }, frameworkid: 'f' } };
    assert.equal(await status(await post(master, teardown)), 501);
    assert.deepEqual(recorded(), [
      { call: 'GET_STATE', path: 'get_state', kind: 'unknown-field' },
      { call: 'GET_TASK', path: 'type', kind: 'unknown-enum-value' },
      { call: 'TEARDOWN', path: 'teardown.frameworkid', kind: 'unknown-field' },
    ]);
  });

  it('records nothing for well-formed calls', async () => {
    const before = master.violations.length;
    for (const type of ['GET_HEALTH', 'GET_STATE', 'GET_AGENTS', 'GET_FRAMEWORKS', 'GET_TASKS', 'GET_MASTER'])
      await answer(master, type);
    assert.equal(master.violations.length, before);
  });
});

describe('the response table', () => {
  const check = (name: string) => validateMessage(fixture(name), 'master.Response', OPERATOR_MESSAGES);

  it('accepts every in-scope example as a valid Response', () => {
    const examples = ['corrected/GET_STATE.response.json', 'corrected/GET_AGENTS.response.json'];
    examples.push('corrected/GET_FRAMEWORKS.response.json', 'verbatim/GET_TASKS.response.json');
    examples.push('verbatim/GET_HEALTH.response.json', 'verbatim/GET_MASTER.response.json');
    for (const name of examples) assert.deepEqual(check(name), { violations: [], errors: [] }, name);
  });

  it('finds the required field the documented GET_FRAMEWORKS lacks', () => {
    const { errors } = check('verbatim/GET_FRAMEWORKS.response.json');
    assert.deepEqual(errors, [
      'get_frameworks.frameworks[0].recovered: missing required field of master.GetFrameworks.Framework',
    ]);
  });
});

describe('operator API: answers with the examples’ shapes', () => {
  let master: MesosMaster;
  let scheduler: RawScheduler;
  const answers = new Map<string, Json>();

  /** A framework and tasks the way the documented examples have them. */
  before(async () => {
    master = await MesosMaster.start({ agents: agents(2, AGENT), allocationIntervalMs: 50 });
    const info = { user: 'root', name: 'default', hostname: 'myhost', principal: 'my-principal', role: '*' };
    scheduler = await RawScheduler.subscribe(master, { ...info, checkpoint: false, failover_timeout: 60 });
    const [offer] = await scheduler.offers();
    const resources = [
      { name: 'cpus', type: 'SCALAR', scalar: { value: 1 }, role: '*' },
      { name: 'mem', type: 'SCALAR', scalar: { value: 128 }, role: '*' },
      { name: 'ports', type: 'RANGES', ranges: { range: [{ begin: 31000, end: 31000 }] }, role: '*' },
    ];
    const task = (id: string, extra: Json = {}) => ({
      name: id,
      task_id: { value: id },
      agent_id: offer!.agent_id,
      resources,
      ...extra,
    });
    const executor = { executor_id: { value: 'default' }, command: { shell: true, value: '' } };
    await scheduler.launch(offer!, [
      task('command', { command: { shell: true, value: 'sleep 1000' } }),
      task('executed', { executor, resources: resources.slice(0, 2) }),
      task('killed', { command: { shell: true, value: 'sleep 1000' }, resources: resources.slice(0, 2) }),
    ]);
    for (const id of ['command', 'executed', 'killed']) await scheduler.update(id, 'TASK_RUNNING');
    await scheduler.call('KILL', { kill: { task_id: { value: 'killed' } } });
    await scheduler.update('killed', 'TASK_KILLED');
    for (const type of ['GET_STATE', 'GET_AGENTS', 'GET_FRAMEWORKS', 'GET_TASKS'])
      answers.set(type, await answer(master, type));
  });
  after(async () => {
    scheduler.close();
    await master.close();
  });
  afterEach(() => assert.deepEqual(master.violations, []));

  const cases = [
    ['GET_STATE', 'corrected/GET_STATE.response.json'],
    ['GET_AGENTS', 'corrected/GET_AGENTS.response.json'],
    ['GET_FRAMEWORKS', 'corrected/GET_FRAMEWORKS.response.json'],
    ['GET_TASKS', 'verbatim/GET_TASKS.response.json'],
  ] as const;

  for (const [type, example] of cases) {
    it(`${type} has only key paths of ${example}`, () => {
      assert.deepEqual(notIn(keyPaths(answers.get(type)), keyPaths(fixture(example))), []);
    });

    it(`${type} is a valid Response with every required field`, () => {
      assert.deepEqual(validateMessage(answers.get(type), 'master.Response', OPERATOR_MESSAGES), {
        violations: [],
        errors: [],
      });
    });
  }

  it('fills what the examples show: every list, times as bare integers beyond 2^53', () => {
    const state = answers.get('GET_STATE')!;
    const paths = keyPaths(state);
    const expected = keyPaths(fixture('corrected/GET_STATE.response.json'));
    // The simulated agents run no containers, so there are no network addresses to report.
    const noContainers = (p: string) => p.includes('.container_status');
    assert.deepEqual(
      notIn(expected, paths).filter((p) => !noContainers(p)),
      [],
    );
    const text = stringifyMesosJson(state);
    const times = [...text.matchAll(/"nanoseconds":(\d+)/g)].map((m) => m[1]!);
    assert.equal(times.length, 2 + 2, 'two agents, one framework registered and re-registered');
    for (const digits of times) {
      assert.ok(BigInt(digits) > BigInt(Number.MAX_SAFE_INTEGER), digits);
      assert.ok(BigInt(digits) - BigInt(Date.now()) * 1_000_000n < 60_000_000_000n, `${digits} is about now`);
    }
  });
});
