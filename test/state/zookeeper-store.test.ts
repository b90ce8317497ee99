/**
 * ZooKeeperStateStore on a real server (one per file, a fresh chroot per test): the same
 * StateStore contract the file store passes, then what only ZooKeeper brings: stale and
 * fenced writers, a writer whose session expires mid-write, values split into chunks,
 * digest ACLs, and a server restart under an open store.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import { DeploymentLog, type DeploymentRecord } from '../../src/state/deployments.js';
import { Records } from '../../src/state/records.js';
import type { RecordedJob } from '../../src/plan/types.js';
import { StateConflictError, StateCorruptError } from '../../src/state/types.js';
import { FencedError, ZooKeeperStateStore } from '../../src/state/zookeeper/zookeeper-store.js';
import {
  hasCode,
  ZK_CODES,
  ZkSession,
  type SessionState,
  type ZkSessionOptions,
} from '../../src/zookeeper/session.js';
import { withTimeout } from '../support/waiting.js';
import {
  expireSessions,
  startProxy,
  startZooKeeper,
  type TcpProxy,
  type ZooKeeperServer,
} from '../support/zookeeper.js';
import { testStateStore } from './contract.js';

let zk: ZooKeeperServer;
let admin: ZkSession;
const opened: ZkSession[] = [];
let chroots = 0;

before(async () => {
  zk = await startZooKeeper();
  admin = await ZkSession.open({ connect: zk.connect });
});
after(async () => {
  for (const session of opened) session.close();
  admin.close();
  await zk.stop();
});

async function session(options: Partial<ZkSessionOptions> = {}): Promise<ZkSession> {
  const opened_ = await ZkSession.open({ connect: zk.connect, sessionTimeoutMs: 4_000, ...options });
  opened.push(opened_);
  return opened_;
}

function newChroot(): string {
  chroots += 1;
  return `/borealis-test/c${chroots}/state`;
}

/** node-zookeeper-client's removeRecursive is broken past two levels: our own. */
async function removeTree(zkSession: ZkSession, path: string): Promise<void> {
  for (const child of (await zkSession.children(path)) ?? []) await removeTree(zkSession, `${path}/${child}`);
  await zkSession.remove(path).catch((error: unknown) => {
    if (!hasCode(error, ZK_CODES.NO_NODE)) throw error;
  });
}

function reach(zkSession: ZkSession, state: SessionState, ms = 10_000): Promise<void> {
  if (zkSession.state === state) return Promise.resolve();
  return withTimeout(
    once(zkSession, state).then(() => undefined),
    ms,
    `session to be ${state} (is ${zkSession.state})`,
  );
}

function isConflict(key: string, expected: number | null, actual: number | null) {
  return (error: unknown): boolean => {
    assert.ok(error instanceof StateConflictError, `expected StateConflictError, got ${String(error)}`);
    assert.deepEqual([error.key, error.expected, error.actual], [key, expected, actual]);
    return true;
  };
}

function isZkError(code: number) {
  return (error: unknown): boolean => {
    assert.ok(hasCode(error, code), `expected ZooKeeper error ${code}, got ${String(error)}`);
    return true;
  };
}

/** About 2 MB of JSON that does not compress into anything regular. */
function bigValue(seed: number): { text: string; numbers: number[] } {
  return {
    text: Array.from({ length: 25_000 }, (_, i) => `line ${i} ${seed} ✓ ${'x'.repeat(i % 100)}`).join('\n'),
    numbers: Array.from({ length: 50_000 }, (_, i) => i * 1.5 + seed),
  };
}

testStateStore('ZooKeeperStateStore', async () => {
  const chroot = newChroot();
  const store = await ZooKeeperStateStore.open({ session: await session(), chroot });
  return { store, cleanup: () => removeTree(admin, chroot) };
});

describe('ZooKeeperStateStore layout', () => {
  it('keeps each key as a znode under the chroot holding its JSON, at the znode’s data version', async () => {
    const chroot = newChroot();
    const store = await ZooKeeperStateStore.open({ session: await session(), chroot });
    await store.put('applied', { commit: 'abc' });
    await store.put('applied', { commit: 'def' });
    await store.put('jobs/local%2Fweb', { image: 'web:1' });
    const applied = await admin.get(`${chroot}/applied`);
    assert.equal(applied?.data.toString(), '{"commit":"def"}');
    assert.equal(applied?.version, 1);
    assert.equal((await admin.get(`${chroot}/jobs/local%2Fweb`))?.data.toString(), '{"image":"web:1"}');
    assert.equal((await admin.get(`${chroot}/jobs`))?.data.length, 0, 'a prefix znode holds nothing');
  });

  it('starts a key written onto an existing prefix znode at version 0, and hides prefixes left bare', async () => {
    const store = await ZooKeeperStateStore.open({ session: await session(), chroot: newChroot() });
    await store.put('b/c', 1);
    await store.put('b/d', 1);
    assert.equal(await store.put('b', 'value', null), 0);
    assert.equal(await store.put('b', 'again', 0), 1);
    await store.delete('b', 1);
    assert.equal(await store.get('b'), null);
    assert.deepEqual(await store.list('b'), ['c', 'd'], 'the sub-keys stay');
    assert.equal(await store.put('b', 'back', null), 0, 'recreated on the znode the sub-keys kept');
    await store.transaction([
      { op: 'delete', key: 'b/c' },
      { op: 'delete', key: 'b/d' },
      { op: 'delete', key: 'b' },
    ]);
    assert.deepEqual(await store.list(''), []);
  });

  it('prunes prefix znodes a delete leaves empty', async () => {
    const chroot = newChroot();
    const store = await ZooKeeperStateStore.open({ session: await session(), chroot });
    await store.put('x/y/z', 1);
    await store.put('keep', 1);
    await store.delete('x/y/z');
    assert.deepEqual((await admin.children(chroot))?.sort(), ['keep']);
  });

  it('carries the typed records and the deployment log', async () => {
    const store = await ZooKeeperStateStore.open({ session: await session(), chroot: newChroot() });
    const records = new Records(store);
    await records.setApplied('c0ffee', 1_700_000_000_000);
    assert.equal((await records.applied())?.commit, 'c0ffee');
    const recorded = (name: string) => ({
      id: `west/www/prod/${name}`,
      commit: 'c0ffee',
      config: { name, instances: 1, task: {} } as unknown as RecordedJob['config'],
      configHash: `h-${name}`,
      appliedAt: 1,
    });
    await records.putJobs([recorded('a'), recorded('b')]);
    assert.deepEqual((await records.jobs()).map((job) => [job.id, job.configHash]).sort(), [
      ['west/www/prod/a', 'h-a'],
      ['west/www/prod/b', 'h-b'],
    ]);
    const log = new DeploymentLog(store, 2);
    const person = { name: 'Ada', email: 'ada@example.com' };
    const record: Omit<DeploymentRecord, 'sequence' | 'format'> = {
      commit: 'c0ffee',
      parent_applied: null,
      author: person,
      committer: person,
      date: '2026-12-01T00:00:00Z',
      message: 'm',
      signature: { status: 'N', trusted: false, detail: 'unsigned' },
      trigger: 'watch',
      cluster: 'west',
      outcome: 'in_progress',
      jobs: [],
      errors: [],
      started_at: '2026-12-01T00:00:00Z',
      finished_at: null,
    };
    for (let i = 0; i < 3; i++) await log.append(record);
    assert.deepEqual(
      (await log.list()).map((entry) => entry.sequence),
      [3, 2],
      'bounded: the oldest pruned',
    );
    assert.deepEqual(await store.list(''), ['applied', 'deployments', 'jobs', 'jobs-stamp']);
  });
});

describe('ZooKeeperStateStore writers', () => {
  it('fails a stale writer with StateConflictError and keeps the newer write', async () => {
    const chroot = newChroot();
    const first = await ZooKeeperStateStore.open({ session: await session(), chroot });
    const second = await ZooKeeperStateStore.open({ session: await session(), chroot });
    await first.put('applied', 'c1');
    const seen = await first.get('applied');
    assert.equal(await second.put('applied', 'c2', 0), 1);
    await assert.rejects(first.put('applied', 'stale', seen?.version), isConflict('applied', 0, 1));
    await assert.rejects(
      first.transaction([
        { op: 'put', key: 'jobs/a', value: 'x' },
        { op: 'put', key: 'applied', value: 'stale', expectedVersion: 0 },
      ]),
      isConflict('applied', 0, 1),
    );
    assert.deepEqual(await first.get('applied'), { version: 1, value: 'c2' });
    assert.equal(await first.get('jobs/a'), null);
  });

  it('writes while the fence node exists and refuses every write, naming it, once it is gone', async () => {
    const leaderSession = await session();
    await leaderSession.mkdirp('/borealis-test/leader');
    const fence = await leaderSession.create(
      '/borealis-test/leader/member_',
      Buffer.alloc(0),
      'ephemeral-sequential',
    );
    const chroot = newChroot();
    const store = await ZooKeeperStateStore.open({ session: leaderSession, chroot, fence: () => fence });
    assert.equal(await store.put('applied', 'c1'), 0);
    await store.transaction([{ op: 'put', key: 'jobs/a', value: 1, expectedVersion: null }]);

    await admin.remove(fence); // a new leader's term, as far as this writer can tell
    const fenced = (error: unknown) => {
      assert.ok(error instanceof FencedError, `expected FencedError, got ${String(error)}`);
      assert.equal(error.fence, fence);
      assert.ok(error.message.includes(fence), error.message);
      return true;
    };
    await assert.rejects(store.put('applied', 'c2'), fenced);
    await assert.rejects(store.put('applied', 'c2', 0), fenced);
    await assert.rejects(store.delete('jobs/a'), fenced);
    await assert.rejects(store.transaction([{ op: 'put', key: 'jobs/b', value: 1 }]), fenced);
    assert.deepEqual(await store.get('applied'), { version: 0, value: 'c1' }, 'reads are not fenced');
    assert.deepEqual(await store.list('jobs'), ['a']);

    const follower = await ZooKeeperStateStore.open({
      session: leaderSession,
      chroot,
      fence: () => undefined,
    });
    await assert.rejects(follower.put('applied', 'c3'), (error: unknown) => {
      assert.ok(error instanceof FencedError && /not the leader/.test(error.message), String(error));
      return true;
    });
    assert.deepEqual(await store.get('applied'), { version: 0, value: 'c1' });
  });

  describe('a writer whose session expires mid-way', () => {
    let proxy: TcpProxy;
    before(async () => {
      proxy = await startProxy(zk.port);
    });
    after(() => proxy.close());

    it('cannot overwrite what the new writer wrote meanwhile, fenced or not', async () => {
      const chroot = newChroot();
      // The old leader, reaching ZooKeeper through the proxy; its fence is its own ephemeral node.
      const oldSession = await session({ connect: proxy.connect, sessionTimeoutMs: 1_000 });
      await oldSession.mkdirp('/borealis-test/expiry-leader');
      const oldFence = await oldSession.create(
        '/borealis-test/expiry-leader/member_',
        Buffer.alloc(0),
        'ephemeral-sequential',
      );
      const oldFenced = await ZooKeeperStateStore.open({
        session: oldSession,
        chroot,
        fence: () => oldFence,
      });
      const oldPlain = await ZooKeeperStateStore.open({ session: oldSession, chroot });
      await oldFenced.put('applied', 'c1');
      const seen = await oldFenced.get('applied');

      const disconnected = reach(oldSession, 'disconnected');
      const expiring = expireSessions(proxy, zk, 1_000);
      await disconnected;
      // Issued while cut off: they wait for a connection that will find the session expired.
      const lateFenced = oldFenced.put('applied', 'late, fenced', seen?.version);
      const latePlain = oldPlain.put('applied', 'late, unfenced', seen?.version);
      const newWriter = await ZooKeeperStateStore.open({ session: await session(), chroot });
      assert.equal(await newWriter.put('applied', 'c2', seen?.version), 1);
      await expiring;

      await assert.rejects(lateFenced, isZkError(ZK_CODES.SESSION_EXPIRED));
      await assert.rejects(latePlain, isZkError(ZK_CODES.SESSION_EXPIRED));
      assert.equal(oldSession.state, 'expired');
      // Back with a new session, it still holds its stale version and its old fence.
      const rejoined = await session();
      const staleFence = await ZooKeeperStateStore.open({ session: rejoined, chroot, fence: () => oldFence });
      await assert.rejects(staleFence.put('applied', 'late again', seen?.version), FencedError);
      const unfenced = await ZooKeeperStateStore.open({ session: rejoined, chroot });
      await assert.rejects(unfenced.put('applied', 'late again', seen?.version), isConflict('applied', 0, 1));
      assert.deepEqual(await newWriter.get('applied'), { version: 1, value: 'c2' });
    });
  });
});

describe('ZooKeeperStateStore chunks', () => {
  it('splits a 2 MB value into chunk znodes written with its manifest, reads it whole, and removes them with it', async () => {
    const chroot = newChroot();
    const store = await ZooKeeperStateStore.open({ session: await session(), chroot });
    const big = bigValue(1);
    const bytes = Buffer.byteLength(JSON.stringify(big));
    assert.ok(bytes > 1_900_000);
    const started = Date.now();
    assert.equal(await store.put('deployments/000000000001', big), 0);
    assert.deepEqual(await store.get('deployments/000000000001'), { version: 0, value: big });
    console.log(`2 MB value written and read back in ${Date.now() - started} ms`);
    const chunkDirectory = `${chroot}/@chunks/deployments+000000000001`;
    assert.equal(
      (await admin.children(chunkDirectory))?.length,
      3,
      'about 2 MB in chunks of just under 1 MB',
    );
    const manifest = (await admin.get(`${chroot}/deployments/000000000001`))?.data.toString() ?? '';
    assert.match(
      manifest,
      /^#borealis \{"chunks":\{"id":"[\w-]+","count":3,"bytes":\d+,"sha256":"[0-9a-f]{64}"\}\}\n$/,
    );
    assert.deepEqual(await store.list(''), ['deployments'], 'the chunks are not keys');

    assert.equal(await store.put('deployments/000000000001', bigValue(2), 0), 1);
    assert.deepEqual(await store.get('deployments/000000000001'), { version: 1, value: bigValue(2) });
    assert.equal((await admin.children(chunkDirectory))?.length, 3, 'the replaced chunks are gone');
    assert.equal(await store.put('deployments/000000000001', 'small now'), 2);
    assert.equal(await admin.children(chunkDirectory), null, 'no chunks left, nor their directory');
    await store.put('deployments/000000000001', big);
    await store.delete('deployments/000000000001');
    assert.equal(await admin.children(chunkDirectory), null);
  });

  it('writes nothing, chunks included, when a chunked write loses a conflict', async () => {
    const chroot = newChroot();
    const store = await ZooKeeperStateStore.open({ session: await session(), chroot, maxRecordBytes: 4_096 });
    await store.put('k', 'v0');
    await assert.rejects(
      store.transaction([
        { op: 'put', key: 'big', value: 'y'.repeat(50_000) },
        { op: 'put', key: 'k', value: 'v1', expectedVersion: 7 },
      ]),
      isConflict('k', 7, 0),
    );
    assert.equal(await store.get('big'), null);
    assert.deepEqual((await admin.children(`${chroot}/@chunks`)) ?? [], []);
  });

  it('keeps a multi under the request limit by moving the largest values into chunks', async () => {
    const store = await ZooKeeperStateStore.open({
      session: await session(),
      chroot: newChroot(),
      maxRecordBytes: 4_096,
    });
    const values = Array.from({ length: 5 }, (_, i) => `${i}`.repeat(1_500));
    await store.transaction(values.map((value, i) => ({ op: 'put', key: `v/${i}`, value })));
    for (const [i, value] of values.entries())
      assert.deepEqual(await store.get(`v/${i}`), { version: 0, value });
  });

  it('never shows a reader a torn value while a writer replaces it', async () => {
    const store = await ZooKeeperStateStore.open({
      session: await session(),
      chroot: newChroot(),
      maxRecordBytes: 8_192,
    });
    const a = { which: 'a', fill: 'a'.repeat(60_000) };
    const b = { which: 'b', fill: 'b'.repeat(60_000) };
    await store.put('doc', a);
    const reader = await ZooKeeperStateStore.open({ session: await session(), chroot: store.chroot });
    let writing = true;
    const writer = (async () => {
      for (let i = 0; i < 30; i++) await store.put('doc', i % 2 === 0 ? b : a);
      writing = false;
    })();
    let reads = 0;
    while (writing) {
      const seen = await reader.get<typeof a>('doc');
      assert.ok(seen !== null);
      assert.deepEqual(seen.value, seen.value.which === 'a' ? a : b);
      reads++;
    }
    await writer;
    assert.ok(reads > 0);
  });

  it('reports a record it cannot decode as corrupt, naming the key and znode', async () => {
    const chroot = newChroot();
    const store = await ZooKeeperStateStore.open({ session: await session(), chroot, maxRecordBytes: 4_096 });
    await store.put('doc', 'z'.repeat(10_000));
    const directory = `${chroot}/@chunks/doc`;
    const [first] = ((await admin.children(directory)) ?? []).sort();
    await admin.set(`${directory}/${first}`, Buffer.from('"tampered"'));
    const corrupt = (error: unknown) => {
      assert.ok(error instanceof StateCorruptError, String(error));
      assert.equal(error.key, 'doc');
      assert.equal(error.location, `${chroot}/doc`);
      return true;
    };
    await assert.rejects(store.get('doc'), corrupt);
    await admin.set(`${chroot}/doc`, Buffer.from('#borealis {"base":"x"}\n1'));
    await assert.rejects(store.get('doc'), corrupt);
    await assert.rejects(store.put('doc', 1), corrupt, 'nor overwritten: its version is unknown');
    await admin.set(`${chroot}/doc`, Buffer.from('{not json'));
    await assert.rejects(store.get('doc'), corrupt);
  });

  it('sweeps chunks no manifest refers to once they are older than the grace period', async () => {
    const chroot = newChroot();
    const store = await ZooKeeperStateStore.open({
      session: await session(),
      chroot,
      maxRecordBytes: 4_096,
      orphanChunkGraceMs: 0,
    });
    await admin.mkdirp(`${chroot}/@chunks/doc`);
    await admin.create(`${chroot}/@chunks/doc/left-by-a-crash.0`, Buffer.from('"x"'));
    await store.put('doc', 'q'.repeat(10_000));
    const names = (await admin.children(`${chroot}/@chunks/doc`)) ?? [];
    assert.ok(names.length > 0);
    assert.ok(!names.includes('left-by-a-crash.0'), names.join(', '));
  });
});

describe('ZooKeeperStateStore with digest credentials', () => {
  it('makes its znodes readable and writable only with the same credentials', async () => {
    const chroot = '/borealis-acl/state';
    const owner = await session({ auth: { digest: 'borealis:s3cret' } });
    const store = await ZooKeeperStateStore.open({ session: owner, chroot });
    await store.put('applied', { commit: 'abc' });
    await store.put('jobs/web', { image: 'web:1' });

    const anonymous = await session();
    const wrong = await session({ auth: { digest: 'borealis:guess' } });
    for (const other of [anonymous, wrong]) {
      const noAuth = isZkError(ZK_CODES.NO_AUTH);
      await assert.rejects(other.get(`${chroot}/applied`), noAuth);
      await assert.rejects(other.set(`${chroot}/applied`, Buffer.from('"evil"')), noAuth);
      await assert.rejects(other.children(`${chroot}/jobs`), noAuth);
      await assert.rejects(other.create(`${chroot}/jobs/evil`, Buffer.from('1')), noAuth);
      await assert.rejects(ZooKeeperStateStore.open({ session: other, chroot }), noAuth);
    }
    const sameCredentials = await ZooKeeperStateStore.open({
      session: await session({ auth: { digest: 'borealis:s3cret' } }),
      chroot,
    });
    assert.deepEqual(await sameCredentials.get('applied'), { version: 0, value: { commit: 'abc' } });
    assert.equal(await sameCredentials.put('applied', { commit: 'def' }, 0), 1);
  });
});

describe('ZooKeeperStateStore across a server restart', () => {
  it('resumes reads and writes after the reconnect, losing nothing', async () => {
    const chroot = newChroot();
    const owner = await session({ auth: { digest: 'borealis:s3cret' }, sessionTimeoutMs: 10_000 });
    const store = await ZooKeeperStateStore.open({ session: owner, chroot });
    const big = bigValue(3);
    await store.put('applied', 'c1');
    await store.put('applied', 'c2');
    await store.put('jobs/web', { image: 'web:1' });
    await store.put('deployments/000000000001', big);
    await store.transaction([
      { op: 'put', key: 'updates/web', value: { step: 1 }, expectedVersion: null },
      { op: 'check', key: 'applied', expectedVersion: 1 },
    ]);
    const saved = await Promise.all(
      ['applied', 'jobs/web', 'deployments/000000000001', 'updates/web'].map((key) => store.get(key)),
    );

    const down = reach(owner, 'disconnected');
    const restarting = zk.restart();
    await down;
    // Issued while the server is down: they wait for the reconnect, then go through.
    const write = store.put('applied', 'c3', 1);
    const read = store.get('jobs/web');
    await restarting;
    const started = Date.now();
    assert.equal(await write, 2);
    assert.deepEqual(await read, { version: 0, value: { image: 'web:1' } });
    console.log(
      `write issued during the restart completed ${Date.now() - started} ms after the server was back`,
    );

    const reread = await Promise.all(
      ['applied', 'jobs/web', 'deployments/000000000001', 'updates/web'].map((key) => store.get(key)),
    );
    assert.deepEqual(reread.slice(1), saved.slice(1));
    assert.deepEqual(reread[0], { version: 2, value: 'c3' });
    assert.equal(await store.put('updates/web', { step: 2 }, 0), 1);
    assert.deepEqual(await store.list(''), ['applied', 'deployments', 'jobs', 'updates']);
  });
});
