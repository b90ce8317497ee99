/**
 * The test Mesos master, driven through real HTTP by a tiny raw client written here
 * (fetch + RecordIoDecoder), so the master is checked independently of Borealis's client.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { afterEach, describe, it } from 'node:test';
import { parseMesosJson, stringifyMesosJson } from '../../src/cluster/mesos/json.js';
import { RecordIoDecoder } from '../../src/cluster/mesos/recordio.js';
import { agents, MesosMaster, type MesosMasterOptions } from '../support/mesos-master/index.js';
import { MESOS_FIXTURES } from '../support/fixtures.js';
import { deadlineMs } from '../support/time-scale.js';

type Json = Record<string, unknown>;

// ---------------------------------------------------------------- the raw client

const obj = (v: unknown): Json => {
  assert.ok(typeof v === 'object' && v !== null && !Array.isArray(v), `expected an object: ${String(v)}`);
  return v as Json;
};
const at = (v: unknown, ...path: (string | number)[]): unknown =>
  path.reduce<unknown>((acc, key) => (acc as Record<string | number, unknown> | undefined)?.[key], v);
const str = (v: unknown, ...path: (string | number)[]): string => String(at(v, ...path));

async function post(
  master: MesosMaster,
  call: unknown,
  headers: Record<string, string> = {},
  signal?: AbortSignal,
): Promise<Response> {
  return fetch(master.schedulerUrl, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...headers },
    body: typeof call === 'string' ? call : stringifyMesosJson(call),
    redirect: 'manual',
    ...(signal === undefined ? {} : { signal }),
  });
}

class Stream {
  readonly events: Json[] = [];
  private taken = new Set<number>();
  ended = false;
  autoAck = true;
  private readonly abort = new AbortController();
  streamId = '';
  frameworkId = '';
  response!: Response;

  constructor(private readonly master: MesosMaster) {}

  static async open(master: MesosMaster, call: Json, headers: Record<string, string> = {}): Promise<Stream> {
    const s = new Stream(master);
    s.response = await post(master, call, headers, s.abort.signal);
    s.streamId = s.response.headers.get('mesos-stream-id') ?? '';
    if (s.response.status === 200) void s.pump();
    return s;
  }

  private async pump(): Promise<void> {
    const decoder = new RecordIoDecoder();
    try {
      for await (const chunk of this.response.body as unknown as AsyncIterable<Uint8Array>) {
        for (const record of decoder.push(chunk))
          this.onEvent(obj(parseMesosJson(Buffer.from(record).toString('utf8'))));
      }
    } catch {
      // aborted or connection closed
    }
    this.ended = true;
  }

  private onEvent(event: Json): void {
    this.events.push(event);
    if (event.type === 'SUBSCRIBED') this.frameworkId = str(event, 'subscribed', 'framework_id', 'value');
    const status = at(event, 'update', 'status');
    if (event.type === 'UPDATE' && this.autoAck && at(status, 'uuid') !== undefined) {
      this.call('ACKNOWLEDGE', {
        acknowledge: {
          agent_id: at(status, 'agent_id'),
          task_id: at(status, 'task_id'),
          uuid: at(status, 'uuid'),
        },
      }).catch(() => undefined); // the test may be over
    }
  }

  /** Posts a call for this framework with this stream's id. */
  call(type: string, payload: Json = {}, headers: Record<string, string> = {}): Promise<Response> {
    const body = { framework_id: { value: this.frameworkId }, type, ...payload };
    return post(this.master, body, { 'Mesos-Stream-Id': this.streamId, ...headers });
  }

  /** The first event not taken yet that matches, waiting for it. */
  async take(match: (e: Json) => boolean, timeoutMs = 3000): Promise<Json> {
    const deadline = Date.now() + deadlineMs(timeoutMs);
    for (;;) {
      const i = this.events.findIndex((e, n) => !this.taken.has(n) && match(e));
      if (i >= 0) {
        this.taken.add(i);
        return this.events[i]!;
      }
      if (Date.now() > deadline) throw new Error(`no matching event; got ${JSON.stringify(this.types())}`);
      await sleep(10);
    }
  }

  typed = (type: string, timeoutMs?: number): Promise<Json> => this.take((e) => e.type === type, timeoutMs);

  update = (taskId: string, state: string): Promise<Json> =>
    this.take(
      (e) =>
        str(e, 'update', 'status', 'task_id', 'value') === taskId &&
        str(e, 'update', 'status', 'state') === state,
    );

  async waitEnded(timeoutMs = 3000): Promise<void> {
    const deadline = Date.now() + deadlineMs(timeoutMs);
    while (!this.ended) {
      if (Date.now() > deadline) throw new Error('stream did not end');
      await sleep(10);
    }
  }

  types(): unknown[] {
    return this.events.map((e) => e.type);
  }

  close(): void {
    this.autoAck = false;
    this.abort.abort();
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const subscribeCall = (info: Json = {}, frameworkId?: string): Json => ({
  ...(frameworkId === undefined ? {} : { framework_id: { value: frameworkId } }),
  type: 'SUBSCRIBE',
  subscribe: { framework_info: { user: 'borealis', name: 'borealis-test', ...info } },
});

const AGENT = {
  cpus: 4,
  mem: 4096,
  disk: 10000,
  ports: [31000, 31099] as [number, number],
  attributes: { os: 'debian' },
};

const opened: (MesosMaster | Stream)[] = [];

async function startMaster(options: MesosMasterOptions = {}): Promise<MesosMaster> {
  const master = await MesosMaster.start({ agents: agents(2, AGENT), allocationIntervalMs: 50, ...options });
  opened.push(master);
  return master;
}

async function subscribe(master: MesosMaster, info: Json = {}): Promise<Stream> {
  const s = await Stream.open(master, subscribeCall(info));
  opened.push(s);
  assert.equal(s.response.status, 200);
  await s.typed('SUBSCRIBED');
  return s;
}

afterEach(async () => {
  for (const x of opened.splice(0).reverse()) {
    if (x instanceof Stream) x.close();
    else await x.close();
  }
});

const offerList = (e: Json): Json[] => at(e, 'offers', 'offers') as Json[];

function task(offer: Json, taskId: string, extra: Json = {}): Json {
  return {
    name: taskId,
    task_id: { value: taskId },
    agent_id: offer.agent_id,
    command: { shell: true, value: 'sleep 1000' },
    resources: [
      { name: 'cpus', type: 'SCALAR', scalar: { value: 1 } },
      { name: 'mem', type: 'SCALAR', scalar: { value: 128 } },
    ],
    ...extra,
  };
}

const acceptCall = (offer: Json, tasks: Json[], filters?: Json): Json => ({
  accept: {
    offer_ids: [offer.id],
    operations: [{ type: 'LAUNCH', launch: { task_infos: tasks } }],
    ...(filters === undefined ? {} : { filters }),
  },
});

async function launch(s: Stream, taskId: string, given?: Json): Promise<Json> {
  const offer = given ?? offerList(await s.typed('OFFERS'))[0]!;
  assert.equal((await s.call('ACCEPT', acceptCall(offer, [task(offer, taskId)]))).status, 202);
  await s.update(taskId, 'TASK_RUNNING');
  return offer;
}

// ---------------------------------------------------------------- key structure vs fixtures

const FIXTURES = `${MESOS_FIXTURES}corrected/`;
const fixture = (name: string): unknown => parseMesosJson(readFileSync(FIXTURES + name, 'utf8'));

/** Key paths, array indices collapsed: `offers.offers[].resources[].scalar.value`. */
function keyPaths(v: unknown, prefix = '', out = new Set<string>()): Set<string> {
  if (Array.isArray(v)) v.forEach((item) => keyPaths(item, `${prefix}[]`, out));
  else if (typeof v === 'object' && v !== null) {
    for (const [k, child] of Object.entries(v)) {
      const p = prefix === '' ? k : `${prefix}.${k}`;
      out.add(p);
      keyPaths(child, p, out);
    }
  }
  return out;
}

const minus = (a: Set<string>, b: Set<string>): string[] => [...a].filter((x) => !b.has(x)).sort();

// ---------------------------------------------------------------- tests

describe('test Mesos master: transport', () => {
  it('answers 405 to other methods, 415 to inexact content types, 400 without one or on bad JSON', async () => {
    const master = await startMaster();
    const get = await fetch(master.schedulerUrl);
    assert.equal(get.status, 405);
    await get.text();
    for (const type of ['application/json; charset=utf-8', 'text/plain;charset=UTF-8', 'Application/JSON']) {
      const r = await post(master, subscribeCall(), { 'Content-Type': type });
      assert.equal(r.status, 415, type);
      await r.text();
    }
    const none = await fetch(master.schedulerUrl, { method: 'POST', body: new TextEncoder().encode('{}') });
    assert.equal(none.status, 400);
    assert.match(await none.text(), /Content-Type/);
    const bad = await post(master, '{"type":');
    assert.equal(bad.status, 400);
    await bad.text();
  });

  it('a non-leading master redirects with a protocol-relative Location', async () => {
    const master = await startMaster({ leader: 'leader.test:5050' });
    const r = await post(master, subscribeCall());
    assert.equal(r.status, 307);
    assert.equal(r.headers.get('location'), '//leader.test:5050/api/v1/scheduler');
    await r.text();
  });
});

describe('test Mesos master: SUBSCRIBE', () => {
  it('streams SUBSCRIBED, then OFFERS and HEARTBEATs, with a UUID Mesos-Stream-Id', async () => {
    const master = await startMaster({ heartbeatSeconds: 0.1 });
    const s = await subscribe(master);
    assert.match(s.streamId, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    assert.equal(s.response.headers.get('content-type'), 'application/json');
    const sub = obj(s.events[0]!.subscribed);
    assert.equal(sub.heartbeat_interval_seconds, 0.1);
    assert.equal(
      at(sub, 'master_info', 'port'),
      new URL(master.url).port === '' ? 80 : Number(new URL(master.url).port),
    );
    const offers = offerList(await s.typed('OFFERS'));
    assert.equal(offers.length, 2);
    assert.deepEqual(new Set(offers.map((o) => str(o, 'agent_id', 'value'))), new Set(master.agentIds()));
    assert.equal(at(offers[0], 'allocation_info'), undefined, 'no allocation_info without MULTI_ROLE');
    await s.typed('HEARTBEAT');
  });

  it('SUBSCRIBED and OFFERS have the key structure of the corrected fixtures', async () => {
    const master = await startMaster();
    const info = { roles: ['engineering'], capabilities: [{ type: 'MULTI_ROLE' }] };
    const s = await subscribe(master, info);
    const mine = keyPaths(s.events[0]);
    assert.deepEqual([...mine].sort(), [...keyPaths(fixture('SUBSCRIBED.scheduler.event.json'))].sort());
    // A task with its own executor makes the agent's next offer carry executor_ids.
    const offer = offerList(await s.typed('OFFERS'))[0]!;
    const executor = { executor_id: { value: 'exec-1' }, command: { value: 'run-executor' } };
    const t = { ...task(offer, 't1', { executor }), command: undefined };
    await s.call('ACCEPT', acceptCall(offer, [t], { refuse_seconds: 0 }));
    const again = await s.take(
      (e) => e.type === 'OFFERS' && offerList(e).some((o) => o.executor_ids !== undefined),
    );
    const emitted = keyPaths({
      type: 'OFFERS',
      offers: { offers: offerList(again).filter((o) => o.executor_ids) },
    });
    const expected = keyPaths(fixture('OFFERS.scheduler.event.json'));
    assert.deepEqual(minus(expected, emitted), []);
    const extra = minus(emitted, expected);
    assert.ok(
      extra.every((p) => p.includes('.ranges')),
      `unexpected keys ${extra.join(', ')}`,
    );
  });

  it('refuses a Mesos-Stream-Id header and differing framework ids with 400', async () => {
    const master = await startMaster();
    const withHeader = await post(master, subscribeCall(), { 'Mesos-Stream-Id': 'x' });
    assert.equal(withHeader.status, 400);
    await withHeader.text();
    const differing = subscribeCall({ id: { value: 'a' } }, 'b');
    const r1 = await post(master, differing);
    assert.equal(r1.status, 400);
    assert.match(await r1.text(), /differs/);
    const onlyInfo = await post(master, subscribeCall({ id: { value: 'a' } }));
    assert.equal(onlyInfo.status, 400);
    await onlyInfo.text();
  });

  it('a re-subscribe keeps the framework id and fails the old stream over', async () => {
    const master = await startMaster();
    const first = await subscribe(master, { failover_timeout: 60 });
    const again = await Stream.open(
      master,
      subscribeCall({ failover_timeout: 60, id: { value: first.frameworkId } }, first.frameworkId),
    );
    opened.push(again);
    assert.equal(again.response.status, 200);
    assert.notEqual(again.streamId, first.streamId);
    assert.equal(
      str(await again.typed('SUBSCRIBED'), 'subscribed', 'framework_id', 'value'),
      first.frameworkId,
    );
    assert.equal(str(await first.typed('ERROR'), 'error', 'message'), 'Framework failed over');
    await first.waitEnded();
    const stale = await first.call('REVIVE');
    assert.equal(stale.status, 400, 'the old stream id no longer matches');
    await stale.text();
  });

  it('answers 200 + ERROR and closes for an invalid FrameworkInfo; 400 for a missing required field', async () => {
    const master = await startMaster();
    const s = await Stream.open(
      master,
      subscribeCall({ role: 'web', capabilities: [{ type: 'MULTI_ROLE' }] }),
    );
    opened.push(s);
    assert.equal(s.response.status, 200);
    assert.match(str(await s.typed('ERROR'), 'error', 'message'), /role/);
    await s.waitEnded();
    assert.deepEqual(master.frameworkIds(), []);
    // FrameworkInfo.user is `required` in mesos.proto: stout's parse fails before validation.
    const r = await post(master, { type: 'SUBSCRIBE', subscribe: { framework_info: { name: 'x' } } });
    assert.equal(r.status, 400);
    assert.match(await r.text(), /user/);
  });
});

describe('test Mesos master: calls', () => {
  it('needs framework_id and the matching Mesos-Stream-Id; unknown frameworks are 400', async () => {
    const master = await startMaster();
    const s = await subscribe(master);
    const cases: [Record<string, string>, Json, number][] = [
      [{}, { framework_id: { value: s.frameworkId } }, 400],
      [{ 'Mesos-Stream-Id': 'nope' }, { framework_id: { value: s.frameworkId } }, 400],
      [{ 'Mesos-Stream-Id': s.streamId }, {}, 400],
      [{ 'Mesos-Stream-Id': s.streamId }, { framework_id: { value: 'unknown' } }, 400],
      [{ 'Mesos-Stream-Id': s.streamId }, { framework_id: { value: s.frameworkId } }, 202],
    ];
    for (const [headers, id, status] of cases) {
      const r = await post(master, { ...id, type: 'REVIVE' }, headers);
      const text = await r.text();
      assert.equal(r.status, status, `${JSON.stringify(headers)} ${JSON.stringify(id)}: ${text}`);
      if (id.framework_id !== undefined && at(id, 'framework_id', 'value') === 'unknown') {
        assert.equal(text, 'Framework cannot be found');
      }
    }
  });

  it('ACCEPT launches: TASK_STARTING then TASK_RUNNING, each with a 16-byte uuid', async () => {
    const master = await startMaster();
    const s = await subscribe(master);
    const offer = offerList(await s.typed('OFFERS'))[0]!;
    assert.equal((await s.call('ACCEPT', acceptCall(offer, [task(offer, 'web-0')]))).status, 202);
    const starting = obj(at(await s.update('web-0', 'TASK_STARTING'), 'update', 'status'));
    const running = obj(at(await s.update('web-0', 'TASK_RUNNING'), 'update', 'status'));
    for (const status of [starting, running]) {
      assert.equal(Buffer.from(String(status.uuid), 'base64').length, 16);
      assert.equal(str(status, 'agent_id', 'value'), str(offer, 'agent_id', 'value'));
      assert.equal(status.source, 'SOURCE_EXECUTOR');
      assert.equal(typeof status.timestamp, 'number');
    }
    assert.notEqual(starting.uuid, running.uuid);
    const expected = keyPaths(fixture('UPDATE.scheduler.event.json'));
    const emitted = keyPaths(s.events.find((e) => e.type === 'UPDATE'));
    assert.deepEqual(minus(expected, emitted), ['update.status.data']);
    assert.deepEqual(minus(emitted, expected), ['update.status.timestamp']);
    assert.deepEqual(
      master.tasks().map((t) => [t.taskId, t.state]),
      [['web-0', 'TASK_RUNNING']],
    );
  });

  it('TASK_RUNNING waits for the acknowledgement of TASK_STARTING, which is retried', async () => {
    const master = await startMaster({ updateRetryMs: 100 });
    const s = await subscribe(master);
    s.autoAck = false;
    const offer = offerList(await s.typed('OFFERS'))[0]!;
    await s.call('ACCEPT', acceptCall(offer, [task(offer, 'a')]));
    const first = obj(at(await s.update('a', 'TASK_STARTING'), 'update', 'status'));
    const retried = obj(at(await s.update('a', 'TASK_STARTING'), 'update', 'status'));
    assert.equal(retried.uuid, first.uuid);
    assert.equal(s.events.filter((e) => str(e, 'update', 'status', 'state') === 'TASK_RUNNING').length, 0);
    const ack = { agent_id: first.agent_id, task_id: first.task_id, uuid: first.uuid };
    assert.equal((await s.call('ACKNOWLEDGE', { acknowledge: ack })).status, 202);
    await s.update('a', 'TASK_RUNNING');
  });

  it('ACKNOWLEDGE with a uuid that is not 16 bytes is 400', async () => {
    const master = await startMaster();
    const s = await subscribe(master);
    const ack = {
      agent_id: { value: 'a' },
      task_id: { value: 't' },
      uuid: Buffer.alloc(18).toString('base64'),
    };
    const r = await s.call('ACKNOWLEDGE', { acknowledge: ack });
    assert.equal(r.status, 400);
    assert.match(await r.text(), /UUID/);
  });

  it('invalid launches come back as TASK_ERROR / TASK_LOST updates', async () => {
    const master = await startMaster();
    const s = await subscribe(master);
    const offer = offerList(await s.typed('OFFERS'))[0]!;
    const big = task(offer, 'big', { resources: [{ name: 'cpus', type: 'SCALAR', scalar: { value: 64 } }] });
    await s.call('ACCEPT', acceptCall(offer, [task(offer, 'dup'), task(offer, 'dup'), big]));
    await s.update('dup', 'TASK_RUNNING');
    const dup = obj(at(await s.update('dup', 'TASK_ERROR'), 'update', 'status'));
    assert.equal(dup.reason, 'REASON_TASK_INVALID');
    assert.equal(dup.uuid, undefined);
    await s.update('big', 'TASK_ERROR');
    await s.call('ACCEPT', acceptCall(offer, [task(offer, 'late')]));
    const lost = obj(at(await s.update('late', 'TASK_LOST'), 'update', 'status'));
    assert.equal(lost.reason, 'REASON_INVALID_OFFERS');
  });

  it('KILL: TASK_KILLING (with TASK_KILLING_STATE) then TASK_KILLED; unknown tasks are TASK_LOST', async () => {
    const master = await startMaster();
    const s = await subscribe(master, { capabilities: [{ type: 'TASK_KILLING_STATE' }] });
    await launch(s, 'k');
    assert.equal((await s.call('KILL', { kill: { task_id: { value: 'k' } } })).status, 202);
    await s.update('k', 'TASK_KILLING');
    await s.update('k', 'TASK_KILLED');
    assert.equal(master.tasks()[0]?.state, 'TASK_KILLED');
    await s.call('KILL', { kill: { task_id: { value: 'ghost' } } });
    const lost = obj(at(await s.update('ghost', 'TASK_LOST'), 'update', 'status'));
    assert.equal(lost.source, 'SOURCE_MASTER');
  });

  it('RECONCILE: explicit lists get one update each, an empty list gets every task', async () => {
    const master = await startMaster();
    const s = await subscribe(master);
    const [o1, o2] = offerList(await s.typed('OFFERS'));
    await launch(s, 'r1', o1);
    await launch(s, 'r2', o2);
    const explicit = [{ task_id: { value: 'r1' } }, { task_id: { value: 'nope' } }];
    await s.call('RECONCILE', { reconcile: { tasks: explicit } });
    const r1 = obj(at(await s.update('r1', 'TASK_RUNNING'), 'update', 'status'));
    assert.equal(r1.reason, 'REASON_RECONCILIATION');
    assert.equal(r1.uuid, undefined);
    await s.update('nope', 'TASK_LOST');
    await s.call('RECONCILE', { reconcile: { tasks: [] } });
    await s.update('r1', 'TASK_RUNNING');
    await s.update('r2', 'TASK_RUNNING');
  });

  it('DECLINE keeps the agent out of offers for refuse_seconds; REVIVE clears filters', async () => {
    const master = await startMaster({ agents: agents(1, AGENT) });
    const s = await subscribe(master);
    const offer = offerList(await s.typed('OFFERS'))[0]!;
    const declinedAt = Date.now();
    await s.call('DECLINE', { decline: { offer_ids: [offer.id], filters: { refuse_seconds: 0.4 } } });
    await s.typed('OFFERS');
    assert.ok(Date.now() - declinedAt >= 380, 're-offered too early');
    const second = offerList(await Promise.resolve(s.events.filter((e) => e.type === 'OFFERS').at(-1)!))[0]!;
    await s.call('DECLINE', { decline: { offer_ids: [second.id], filters: { refuse_seconds: 60 } } });
    await sleep(200);
    assert.equal(master.offerIds().length, 0);
    await s.call('REVIVE');
    await s.typed('OFFERS');
  });

  it('SUPPRESS stops offers and REVIVE resumes them', async () => {
    const master = await startMaster({ agents: agents(1, AGENT) });
    const s = await subscribe(master);
    const offer = offerList(await s.typed('OFFERS'))[0]!;
    await s.call('SUPPRESS');
    await s.call('DECLINE', { decline: { offer_ids: [offer.id], filters: { refuse_seconds: 0 } } });
    await sleep(200);
    assert.equal(s.events.filter((e) => e.type === 'OFFERS').length, 1);
    await s.call('REVIVE');
    await s.typed('OFFERS');
  });

  it('records unknown fields and enum values as violations, and ignores them like Mesos', async () => {
    const master = await startMaster();
    master.expectViolations();
    const s = await subscribe(master, { capabilities: [{ type: 'TASK_KILLING' }], checkpointing: true });
    const r = await s.call('REVIVE', { revive: { role: 'x' } });
    assert.equal(r.status, 202);
    const seen = master.violations.map((v) => [v.call, v.kind, v.path]);
    assert.deepEqual(seen, [
      ['SUBSCRIBE', 'unknown-enum-value', 'subscribe.framework_info.capabilities[0].type'],
      ['SUBSCRIBE', 'unknown-field', 'subscribe.framework_info.checkpointing'],
      ['REVIVE', 'unknown-field', 'revive.role'],
    ]);
    assert.deepEqual(
      master.calls.map((c) => [c.type, c.status]),
      [
        ['SUBSCRIBE', 200],
        ['REVIVE', 202],
      ],
    );
  });

  it('TEARDOWN closes the stream and removes the framework', async () => {
    const master = await startMaster();
    const s = await subscribe(master);
    await launch(s, 'x');
    assert.equal((await s.call('TEARDOWN')).status, 202);
    await s.waitEnded();
    assert.deepEqual(master.frameworkIds(), []);
    assert.equal(master.tasks()[0]?.state, 'TASK_KILLED');
  });
});

describe('test Mesos master: faults', () => {
  it('dropStream: the stream ends, calls get 403, a re-subscribe within failover_timeout keeps tasks', async () => {
    const master = await startMaster();
    const s = await subscribe(master, { failover_timeout: 60 });
    await launch(s, 'd');
    master.dropStream();
    await s.waitEnded();
    const r = await s.call('REVIVE');
    assert.equal(r.status, 403);
    await r.text();
    const info = { failover_timeout: 60, id: { value: s.frameworkId } };
    const again = await Stream.open(master, subscribeCall(info, s.frameworkId));
    opened.push(again);
    await again.typed('SUBSCRIBED');
    assert.equal(master.tasks()[0]?.state, 'TASK_RUNNING');
  });

  it('dropStream with failover_timeout 0 kills the tasks at once', async () => {
    const master = await startMaster();
    const s = await subscribe(master);
    await launch(s, 'z');
    master.dropStream();
    await s.waitEnded();
    await sleep(50);
    assert.equal(master.tasks()[0]?.state, 'TASK_KILLED');
    assert.deepEqual(master.frameworkIds(), []);
  });

  it('loseAgent: TASK_UNREACHABLE for PARTITION_AWARE frameworks, TASK_LOST otherwise', async () => {
    for (const [caps, expected] of [
      [[{ type: 'PARTITION_AWARE' }], 'TASK_UNREACHABLE'],
      [[], 'TASK_LOST'],
    ] as const) {
      const master = await startMaster();
      const s = await subscribe(master, { capabilities: caps });
      const offer = await launch(s, 'p');
      const agentId = str(offer, 'agent_id', 'value');
      master.loseAgent(agentId);
      const status = obj(at(await s.update('p', expected), 'update', 'status'));
      assert.equal(status.source, 'SOURCE_MASTER');
      await sleep(150);
      const later = s.events.filter((e) => e.type === 'OFFERS').flatMap(offerList);
      assert.ok(later.slice(2).every((o) => str(o, 'agent_id', 'value') !== agentId));
    }
  });

  it('rescind sends RESCIND and delayUpdates holds UPDATE events back', async () => {
    const master = await startMaster({ agents: agents(1, AGENT) });
    const s = await subscribe(master);
    const offer = offerList(await s.typed('OFFERS'))[0]!;
    master.rescind(str(offer, 'id', 'value'));
    assert.equal(str(await s.typed('RESCIND'), 'rescind', 'offer_id', 'value'), str(offer, 'id', 'value'));
    const next = offerList(await s.typed('OFFERS'))[0]!;
    master.delayUpdates(300);
    const t0 = Date.now();
    await s.call('ACCEPT', acceptCall(next, [task(next, 'slow')]));
    await s.update('slow', 'TASK_STARTING');
    assert.ok(Date.now() - t0 >= 280);
  });
});
