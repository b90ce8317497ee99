/**
 * The test ZooKeeper server and proxy themselves (`test/support/zookeeper.ts`): start,
 * stop, restart with the data kept, the proxy's cut and restore, session expiry through
 * the proxy, and that no server outlives the test process however it ends.
 *
 * Run with BOREALIS_ZK_SUPPORT_CHILD=exit|kill, this file is instead a child process that
 * starts a server, prints where, and then exits without stopping it (or waits to be killed).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { access, rm } from 'node:fs/promises';
import net from 'node:net';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { hasCode, ZK_CODES, ZkSession, type SessionState } from '../../src/zookeeper/session.js';
import {
  expireSessions,
  fourLetterWord,
  liveSessions,
  sessionsOfPorts,
  startProxy,
  startZooKeeper,
  type TcpProxy,
  type ZooKeeperServer,
} from '../support/zookeeper.js';
import { eventually, withTimeout } from '../support/waiting.js';

const CHILD_MODE = process.env.BOREALIS_ZK_SUPPORT_CHILD;

/** Resolves when the session next reaches `state` (or is already there). */
function reach(session: ZkSession, state: SessionState, ms = 10_000): Promise<void> {
  if (session.state === state) return Promise.resolve();
  return withTimeout(
    once(session, state).then(() => undefined),
    ms,
    `session ${session.id} to be ${state} (is ${session.state})`,
  );
}

function refuses(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

async function childMain(mode: string): Promise<void> {
  const zk = await startZooKeeper();
  console.log(JSON.stringify({ port: zk.port, dataDir: zk.dataDir }));
  if (mode === 'exit') process.exit(0);
  setInterval(() => undefined, 60_000); // until the parent kills us
}

if (CHILD_MODE !== undefined) {
  await childMain(CHILD_MODE);
} else {
  describe('startZooKeeper', () => {
    let zk: ZooKeeperServer;
    const sessions: ZkSession[] = [];
    const open = async (connect: string, sessionTimeoutMs = 4_000) => {
      const session = await ZkSession.open({ connect, sessionTimeoutMs });
      sessions.push(session);
      return session;
    };

    before(async () => {
      const started = Date.now();
      zk = await startZooKeeper();
      console.log(`ZooKeeper ready in ${Date.now() - started} ms on ${zk.connect}`);
    });
    after(async () => {
      for (const session of sessions) session.close();
      await zk.stop();
    });

    it('serves clients on 127.0.0.1 at a free port, standalone, with four-letter words enabled', async () => {
      assert.match(zk.connect, /^127\.0\.0\.1:\d+$/);
      assert.equal(zk.connect, `127.0.0.1:${zk.port}`);
      assert.match(await fourLetterWord(zk.port, 'srvr'), /Mode: standalone/);
      const session = await open(zk.connect);
      await session.create('/hello', Buffer.from('world'));
      assert.equal((await session.get('/hello'))?.data.toString(), 'world');
    });

    it('restarts on the same port with the same data, and a session survives the restart', async () => {
      const session = await open(zk.connect, 10_000);
      await session.create('/kept', Buffer.from('before'));
      await session.create('/mine', Buffer.alloc(0), 'ephemeral');
      const id = session.id;
      const disconnected = reach(session, 'disconnected');
      await zk.restart();
      await disconnected;
      // Issued while disconnected: waits for the reconnect instead of failing.
      assert.equal((await session.get('/kept'))?.data.toString(), 'before');
      assert.equal(session.state, 'connected');
      assert.equal(session.id, id);
      assert.notEqual(await session.exists('/mine'), null, 'the session and its ephemeral node survived');
    });

    it('has a small session timeout by default (tickTime 500 ms → 1000 ms minimum)', async () => {
      const session = await open(zk.connect, 1_000);
      assert.equal(session.timeoutMs, 1_000);
    });
  });

  describe('stop', () => {
    it('stops the server, frees its port and removes its data dir; a second stop is harmless', async () => {
      const zk = await startZooKeeper();
      assert.ok(await exists(zk.dataDir));
      await zk.stop();
      assert.equal(await refuses(zk.port), true);
      assert.equal(await exists(zk.dataDir), false);
      await zk.stop();
      await assert.rejects(zk.restart(), /was stopped/);
    });
  });

  describe('no server outlives the test process', () => {
    const child = async (mode: 'exit' | 'kill') => {
      const script = fileURLToPath(import.meta.url);
      const process_ = spawn(process.execPath, [script], {
        env: { ...process.env, BOREALIS_ZK_SUPPORT_CHILD: mode },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      const exited = once(process_, 'exit');
      const lines = createInterface({ input: process_.stdout })[Symbol.asyncIterator]();
      const first = await withTimeout(lines.next(), 30_000, `the ${mode} child to start ZooKeeper`);
      const started = JSON.parse(String(first.value)) as { port: number; dataDir: string };
      return { process: process_, exited, ...started };
    };

    it('kills the server when the test process exits without stopping it', async () => {
      const started = await child('exit');
      await started.exited;
      await eventually(() => refuses(started.port), 10_000, 'the orphaned server to be killed');
      assert.equal(await exists(started.dataDir), false, 'the exit hook removes the data dir');
    });

    it('kills the server when the test process is killed (SIGKILL: no exit hook runs)', async () => {
      const started = await child('kill');
      assert.equal(await refuses(started.port), false, 'the server runs until the child dies');
      started.process.kill('SIGKILL');
      await started.exited;
      await eventually(() => refuses(started.port), 10_000, 'the watchdog to kill the server');
      await rm(started.dataDir, { recursive: true, force: true }); // no hook of the child's could
    });
  });

  describe('startProxy and expireSessions', () => {
    let zk: ZooKeeperServer;
    let proxy: TcpProxy;
    const sessions: ZkSession[] = [];
    const open = async (connect: string, sessionTimeoutMs = 1_000) => {
      const session = await ZkSession.open({ connect, sessionTimeoutMs });
      sessions.push(session);
      return session;
    };

    before(async () => {
      zk = await startZooKeeper();
      proxy = await startProxy(zk.port);
    });
    after(async () => {
      for (const session of sessions) session.close();
      await proxy.close();
      await zk.stop();
    });

    it('relays; cut drops every connection and refuses new ones; restore lets the client back in', async () => {
      const session = await open(proxy.connect, 10_000);
      await session.create('/via-proxy', Buffer.from('x'));
      const id = session.id;
      const disconnected = reach(session, 'disconnected');
      proxy.cut();
      await disconnected;
      assert.equal(
        await new Promise<boolean>((resolve) => {
          const socket = net.connect(proxy.port, '127.0.0.1');
          socket.once('close', () => resolve(true));
          socket.once('data', () => resolve(false));
        }),
        true,
      );
      proxy.restore();
      await reach(session, 'connected');
      assert.equal(session.id, id, 'the same session, back before its timeout');
      assert.equal((await session.get('/via-proxy'))?.data.toString(), 'x');
      // Closed now: the next test expires every session behind the proxy, and this one's timeout is long.
      session.close();
    });

    it('expires the sessions behind the proxy: their ephemeral nodes go, the client learns it, others are untouched', async () => {
      const direct = await open(zk.connect, 4_000);
      const behind = await open(proxy.connect, 1_000);
      await behind.create('/ephemeral', Buffer.alloc(0), 'ephemeral');
      await direct.create('/direct-ephemeral', Buffer.alloc(0), 'ephemeral');
      assert.notEqual(await direct.exists('/ephemeral'), null);
      const expired = reach(behind, 'expired');
      const started = Date.now();
      await expireSessions(proxy, zk, 1_000);
      const took = Date.now() - started;
      console.log(`expireSessions took ${took} ms for a 1000 ms session`);
      assert.equal(await direct.exists('/ephemeral'), null);
      assert.notEqual(await direct.exists('/direct-ephemeral'), null);
      await expired;
      assert.equal(
        behind.state,
        'expired',
        'expired is final, though the client reports its socket closing later',
      );
      await assert.rejects(behind.get('/direct-ephemeral'), (error) =>
        hasCode(error, ZK_CODES.SESSION_EXPIRED),
      );
      assert.ok(took < 6_000, `took ${took} ms`);
    });
  });

  describe('four-letter word parsing', () => {
    it('maps client ports to sessions with cons, and reads live sessions from dump', () => {
      const cons = [
        ' /127.0.0.1:40468[1](queued=0,recved=2,sent=2,sid=0x100003a14160000,lop=CREA,est=1,to=1000)',
        ' /127.0.0.1:40470[0](queued=0,recved=1,sent=0)',
        ' /127.0.0.1:40471[1](queued=0,recved=2,sent=2,sid=0x100003a14160001,lop=PING)',
      ].join('\n');
      assert.deepEqual(sessionsOfPorts(cons, [40468, 40470]), ['0x100003a14160000']);
      const dump = [
        'SessionTracker dump:',
        'Session Sets (1)/(1):',
        '1 expire at Sun Nov 29 16:40:32 UTC 2026:',
        '\t0x100003a14160000',
        'ephemeral nodes dump:',
        'Sessions with Ephemerals (1):',
        '0x100003a14160009:',
        '\t/e1',
      ].join('\n');
      assert.deepEqual([...liveSessions(dump)], ['0x100003a14160000']);
    });
  });
}
