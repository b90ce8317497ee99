/**
 * ServerSetAnnouncer against a real ZooKeeper server. Every check reads ZooKeeper through a
 * second, independent session (and once through Debian's zkCli.sh), never through the
 * announcer's own bookkeeping, so what is asserted is what Finagle would see.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import { ServerSetAnnouncer } from '../../src/announce/serverset.js';
import type { ObservedTask } from '../../src/cluster/types.js';
import type { JobSpec } from '../../src/jobspec/types.js';
import { ZkSession } from '../../src/zookeeper/session.js';
import { spec, task } from '../support/specs.js';
import { withTimeout } from '../support/waiting.js';
import { expireSessions, startProxy, startZooKeeper, type ZooKeeperServer } from '../support/zookeeper.js';

const ZK_CLI = '/usr/share/zookeeper/bin/zkCli.sh';
const HOST = 'agent-1.example.com';
/** The session the expiry test expires: short, so the test is quick. */
const SESSION_TIMEOUT_MS = 1_000;
/**
 * Every other session must not expire by accident: as long as the server grants (20 ticks
 * of 500 ms), since a busy machine can starve the test's process of its pings for seconds.
 */
const STEADY_SESSION_MS = 10_000;

function announcedJob(name: string, portmap: Record<string, string | number> = {}): JobSpec {
  return spec({
    name,
    announce: { primary_port: 'http', portmap },
    task: {
      processes: [{ name: 'main', cmdline: 'sleep 1000' }],
      resources: { cpu: 0.1, ram: '16MiB', disk: '16MiB', ports: ['http', 'health'] },
    },
  });
}

function runningTask(job: JobSpec, instance: number, fields: Partial<ObservedTask> = {}): ObservedTask {
  return task(job, instance, {
    host: HOST,
    ports: { http: 31_000 + instance, health: 32_000 + instance },
    ...fields,
  });
}

/** The member data Aurora writes, spelled out in the documented field order. */
function expectedJson(instance: number, extra: Record<string, number> = {}): string {
  const at = (port: number) => ({ host: HOST, port });
  const additional: Record<string, { host: string; port: number }> = {
    health: at(32_000 + instance),
    http: at(31_000 + instance),
    aurora: at(31_000 + instance),
  };
  for (const [alias, port] of Object.entries(extra)) additional[alias] = at(port);
  return JSON.stringify({
    serviceEndpoint: { host: HOST, port: 31_000 + instance },
    additionalEndpoints: additional,
    status: 'ALIVE',
    shard: instance,
  });
}

interface Node {
  name: string;
  data: string;
  owner: string;
}

/** The `member_` nodes of a ServerSet as any reader sees them, ordered by name. */
async function readMembers(reader: ZkSession, dir: string): Promise<Node[]> {
  const names = ((await reader.children(dir)) ?? []).filter((name) => name.startsWith('member_')).sort();
  const nodes = await Promise.all(names.map((name) => reader.get(`${dir}/${name}`)));
  return nodes.flatMap((node, index) =>
    node
      ? [
          {
            name: names[index] ?? '',
            data: node.data.toString('utf8'),
            owner: node.stat.ephemeralOwner.toString('hex'),
          },
        ]
      : [],
  );
}

/** Member data strings ordered by shard, for comparing with expected instances. */
async function memberData(reader: ZkSession, dir: string): Promise<string[]> {
  const nodes = await readMembers(reader, dir);
  const shard = (data: string) => (JSON.parse(data) as { shard: number }).shard;
  return nodes.map((node) => node.data).sort((a, b) => shard(a) - shard(b));
}

function runZkCli(connect: string, commands: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(ZK_CLI, ['-server', connect], { timeout: 30_000 }, (error, stdout, stderr) =>
      error
        ? reject(new Error(`zkCli.sh failed: ${stderr.slice(-2_000)}`, { cause: error }))
        : resolve(stdout),
    );
    // One JVM for every command: zkCli.sh reads them from stdin when not on a terminal.
    child.stdin?.end([...commands, 'quit', ''].join('\n'));
  });
}

describe('ServerSetAnnouncer', { timeout: 120_000 }, () => {
  let zk: ZooKeeperServer;
  let reader: ZkSession;
  const sessions: ZkSession[] = [];

  const open = async (connect = zk.connect, sessionTimeoutMs = STEADY_SESSION_MS) => {
    const session = await ZkSession.open({ connect, sessionTimeoutMs });
    sessions.push(session);
    return session;
  };

  before(async () => {
    zk = await startZooKeeper({ tickTimeMs: 500 });
    reader = await open();
  });

  after(async () => {
    for (const session of sessions) session.close();
    await zk?.stop();
  });

  it('announces RUNNING healthy instances and removes those that stop or turn unhealthy', async () => {
    const session = await open();
    const announcer = new ServerSetAnnouncer({ session });
    const job = announcedJob('lifecycle');
    const dir = '/aurora/www-data/prod/lifecycle';
    const [t0, t1, t2] = [runningTask(job, 0), runningTask(job, 1, { healthy: false }), runningTask(job, 2)];

    await announcer.sync([job], [t0, t1, t2]);
    assert.deepEqual(await memberData(reader, dir), [expectedJson(0), expectedJson(2)]);
    const nodes = await readMembers(reader, dir);
    for (const node of nodes) {
      assert.match(node.name, /^member_\d{10}$/);
      assert.equal(node.owner, session.id, 'members are ephemeral nodes of the announcer session');
    }
    assert.deepEqual([...announcer.announced().keys()].sort(), [t0.taskId, t2.taskId].sort());

    const healthy = { ...t1, healthy: true };
    await announcer.sync([job], [t0, healthy, t2]);
    assert.deepEqual(await memberData(reader, dir), [expectedJson(0), expectedJson(1), expectedJson(2)]);

    await announcer.sync([job], [t0, healthy, { ...t2, state: 'FINISHED' }]);
    assert.deepEqual(await memberData(reader, dir), [expectedJson(0), expectedJson(1)]);

    await announcer.sync([job], [{ ...t0, healthy: false }, healthy]);
    assert.deepEqual(await memberData(reader, dir), [expectedJson(1)]);

    await announcer.sync([job], []);
    assert.deepEqual(await memberData(reader, dir), []);
    assert.equal(announcer.announced().size, 0);
  });

  it('withdraws an instance before its update and announces the replacement', async () => {
    const announcer = new ServerSetAnnouncer({ session: await open() });
    const job = announcedJob('update');
    const dir = '/aurora/www-data/prod/update';
    const old = [runningTask(job, 0), runningTask(job, 1)];
    await announcer.sync([job], old);

    await announcer.withdraw([old[0]?.taskId ?? '']);
    assert.deepEqual(await memberData(reader, dir), [expectedJson(1)]);
    // The task is still RUNNING until the deployer's kill lands: it must stay withdrawn.
    await announcer.sync([job], old);
    assert.deepEqual(await memberData(reader, dir), [expectedJson(1)]);

    const replacement = runningTask(job, 0);
    await announcer.sync([job], [replacement, old[1] as ObservedTask]);
    assert.deepEqual(await memberData(reader, dir), [expectedJson(0), expectedJson(1)]);
    assert.ok(announcer.announced().has(replacement.taskId));
  });

  it('replaces a member whose data changed, and stops announcing a job that drops announce', async () => {
    const announcer = new ServerSetAnnouncer({ session: await open() });
    const before = announcedJob('changing');
    const dir = '/aurora/www-data/prod/changing';
    const t0 = runningTask(before, 0);
    await announcer.sync([before], [t0]);
    const firstPath = announcer.announced().get(t0.taskId);

    const after = announcedJob('changing', { admin: 'health', legacy: 8080 });
    await announcer.sync([after], [t0]);
    assert.deepEqual(await memberData(reader, dir), [expectedJson(0, { admin: 32_000, legacy: 8080 })]);
    const secondPath = announcer.announced().get(t0.taskId);
    assert.notEqual(secondPath, firstPath, 'a changed member is a new node, not an in-place write');

    const silent = spec({ name: 'changing' });
    await announcer.sync([silent], [t0]);
    assert.deepEqual(await memberData(reader, dir), []);
  });

  it('is read back by an independent ServerSet reader (zkCli.sh)', async () => {
    const announcer = new ServerSetAnnouncer({ session: await open() });
    const job = announcedJob('cli');
    const dir = '/aurora/www-data/prod/cli';
    await announcer.sync([job], [runningTask(job, 0), runningTask(job, 1)]);
    const paths = [...announcer.announced().values()].sort();
    const names = paths.map((path) => path.slice(dir.length + 1));

    const output = await runZkCli(zk.connect, [`ls ${dir}`, ...paths.map((path) => `get ${path}`)]);
    const lines = output.split('\n').map((line) => line.trim());
    // zkCli.sh prints its session's watcher events as they come, even in the middle of a listing.
    const printed = lines.filter((line) => line && line !== 'WATCHER::' && !line.startsWith('WatchedEvent'));
    assert.ok(printed.join('').includes(`[${names.join(', ')}]`), `zkCli.sh listed:\n${output}`);
    // `get` prints the raw data, one line per command, in command order.
    const data = lines.filter((line) => line.startsWith('{'));
    const direct = await Promise.all(
      paths.map(async (path) => (await reader.get(path))?.data.toString('utf8')),
    );
    assert.deepEqual(data, direct);
    assert.deepEqual([...data].sort(), [expectedJson(0), expectedJson(1)].sort());
  });

  it('re-creates every member on a new session after the old one expired', async () => {
    const proxy = await startProxy(zk.port);
    try {
      const first = await open(proxy.connect, SESSION_TIMEOUT_MS);
      const announcer = new ServerSetAnnouncer({ session: first });
      const job = announcedJob('expiry');
      const dir = '/aurora/www-data/prod/expiry';
      const tasks = [runningTask(job, 0), runningTask(job, 1)];
      await announcer.sync([job], tasks);
      assert.equal((await readMembers(reader, dir)).length, 2);

      const expired = once(first, 'expired');
      await expireSessions(proxy, zk, SESSION_TIMEOUT_MS);
      await withTimeout(expired, 10_000, 'the announcer session to learn it expired');
      assert.deepEqual(await readMembers(reader, dir), [], 'ZooKeeper dropped the ephemeral members');
      assert.equal(announcer.announced().size, 0);
      await assert.rejects(announcer.sync([job], tasks), /expired; hand over a new one/);

      const second = await open();
      announcer.replaceSession(second);
      await announcer.sync([job], tasks);
      const nodes = await readMembers(reader, dir);
      assert.deepEqual(await memberData(reader, dir), [expectedJson(0), expectedJson(1)]);
      assert.deepEqual(
        nodes.map((node) => node.owner),
        [second.id, second.id],
      );
    } finally {
      await proxy.close();
    }
  });

  it('rebuilds from the nodes of its own session: adopts matching ones, removes stale ones, ignores others', async () => {
    const session = await open();
    const other = await open();
    const job = announcedJob('rebuild');
    const dir = '/aurora/www-data/prod/rebuild';
    const [t0, t1] = [runningTask(job, 0), runningTask(job, 1)];
    await new ServerSetAnnouncer({ session }).sync([job], [t0, t1]);
    const foreign = await other.create(
      `${dir}/member_`,
      Buffer.from(expectedJson(0)),
      'ephemeral-sequential',
    );
    const stale = await session.create(
      `${dir}/member_`,
      Buffer.from(expectedJson(7)),
      'ephemeral-sequential',
    );

    // A new announcer on the same session (e.g. the daemon's announcer was rebuilt).
    const lines: string[] = [];
    const restarted = new ServerSetAnnouncer({ session, log: (line) => lines.push(line) });
    await restarted.sync([job], [t0, t1]);

    const nodes = await readMembers(reader, dir);
    assert.equal(nodes.length, 3, 'two adopted members and the other session node');
    assert.ok(!nodes.some((node) => `${dir}/${node.name}` === stale), 'the stale own node is removed');
    assert.ok(
      nodes.some((node) => `${dir}/${node.name}` === foreign),
      'another session node is left alone',
    );
    assert.equal(lines.filter((line) => line.includes('adopted')).length, 2, lines.join('\n'));
    assert.equal(lines.filter((line) => line.includes('joined')).length, 0, lines.join('\n'));
  });
});
