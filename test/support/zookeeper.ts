/**
 * A real ZooKeeper server for tests (Debian's `zookeeper` package: standalone, one JVM,
 * ready in 0.3 to 1 s, RSS about 65 MB), and an in-process TCP proxy that lets a test cut
 * a client off and so expire its session the way a network partition does.
 *
 * The default tickTime of 500 ms lets sessions time out between 1 s and 10 s (ZooKeeper
 * bounds a session's timeout to 2 to 20 ticks), so fault tests stay short.
 *
 *   const zk = await startZooKeeper();              // 127.0.0.1:<free port>, fresh data dir
 *   const proxy = await startProxy(zk.port);        // clients connect to proxy.connect
 *   await expireSessions(proxy, zk, 1000);          // every session behind the proxy is gone
 *   await zk.restart();                             // same port, same data
 *   await zk.stop();                                // and the data dir is removed
 *
 * No server outlives the test process: java runs under a small bash watchdog in its own
 * process group; the watchdog kills java as soon as its stdin (a pipe from this process)
 * reaches EOF, which the kernel guarantees however this process ends (even SIGKILL), and an
 * `exit` hook kills the group as well.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { access, mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { budgetMs, deadlineMs } from './time-scale.js';

const JAR = '/usr/share/java/zookeeper.jar';
const MAIN_CLASS = 'org.apache.zookeeper.server.ZooKeeperServerMain';
const DEFAULT_TICK_MS = 500;
/** Generous for a loaded CI machine; a healthy start takes about 1 s. */
const READY_TIMEOUT_MS = deadlineMs(60_000);
/**
 * A four-letter word sent before the database has loaded can hang: never wait longer than
 * this. A busy JVM may take a second or more to answer one that it will answer.
 */
const FOUR_LETTER_TIMEOUT_MS = budgetMs(5_000);
const POLL_MS = 50;
/** SIGTERM first; SIGKILL if the JVM has not exited after this long. */
const STOP_GRACE_MS = 5_000;
/** How many fresh ports to try when another process takes the one we picked first. */
const START_ATTEMPTS = 3;
const OUTPUT_TAIL_CHARS = 4_000;

export interface ZooKeeperServer {
  /** `127.0.0.1:PORT`, for `ZkSession.open({ connect })`. */
  connect: string;
  port: number;
  dataDir: string;
  /** Stops the server and removes its data dir; idempotent. */
  stop(): Promise<void>;
  /** Stops the server and starts it again on the same port with the same data. */
  restart(): Promise<void>;
}

export interface TcpProxy {
  /** `127.0.0.1:PORT` of the proxy. */
  connect: string;
  port: number;
  /** Destroys every connection and refuses new ones until `restore`. */
  cut(): void;
  restore(): void;
  close(): Promise<void>;
}

/**
 * Runs java and kills it when stdin closes (a background job's stdin is /dev/null unless
 * redirected, hence fd 3). `wait` returns early when the TERM trap runs, so the loop waits
 * again until java has really exited: the watchdog's exit then means the port and the data
 * dir are free.
 */
const WATCHDOG = `
exec 3<&0
java "$@" </dev/null 3<&- &
java_pid=$!
{ cat <&3 >/dev/null; kill -KILL "$java_pid" 2>/dev/null; } &
exec 3<&-
trap 'kill -TERM "$java_pid" 2>/dev/null' TERM
while kill -0 "$java_pid" 2>/dev/null; do wait "$java_pid"; done
`;

/** Process groups and data dirs of servers not yet stopped: cleaned up if the test process exits with any. */
const runningGroups = new Set<number>();
const liveDataDirs = new Set<string>();
let exitHookInstalled = false;

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: the group is already gone.
  }
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const pid of runningGroups) killGroup(pid, 'SIGKILL');
    for (const dir of liveDataDirs) rmSync(dir, { recursive: true, force: true });
  });
}

async function assertInstalled(): Promise<void> {
  try {
    await access(JAR);
  } catch {
    throw new Error(
      `ZooKeeper is not installed (${JAR} is missing): run \`bash scripts/test.sh\`, which installs the Debian zookeeper package`,
    );
  }
}

/** A port nothing listens on right now (the OS picks it; we release it for java to take). */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no TCP port was assigned');
  return address.port;
}

/**
 * Sends a four-letter word and returns the whole answer (the server closes the connection
 * after answering). Rejects after `timeoutMs`, since a server still loading never answers.
 */
export function fourLetterWord(
  port: number,
  word: string,
  timeoutMs = FOUR_LETTER_TIMEOUT_MS,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`ZooKeeper on port ${port} did not answer "${word}" within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.on('connect', () => socket.end(word));
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString('utf8'));
    });
  });
}

interface RunningJava {
  process: ChildProcess;
  exited: Promise<void>;
  /** The last few KB of the JVM's output, for failure messages. */
  output: () => string;
}

function spawnJava(port: number, dataDir: string, tickTimeMs: number): RunningJava {
  const args = [
    '-Xmx256m',
    '-Dzookeeper.4lw.commands.whitelist=*',
    '-Dzookeeper.admin.enableServer=false',
    // No fsync per transaction: tests survive process deaths (the OS keeps what was
    // written), not power cuts, and fsync would make every write cost milliseconds.
    '-Dzookeeper.forceSync=no',
    '-cp',
    JAR,
    MAIN_CLASS,
    String(port),
    dataDir,
    String(tickTimeMs),
  ];
  const child = spawn('bash', ['-c', WATCHDOG, 'zookeeper-watchdog', ...args], {
    detached: true,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: Buffer) => (output = (output + chunk.toString('utf8')).slice(-OUTPUT_TAIL_CHARS));
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  // An error event (spawn failure) is followed by close, handled below.
  child.on('error', (error) => keep(Buffer.from(`\n${error.message}\n`)));
  // A server a test forgot to stop must not keep the test process alive; the exit hook
  // (and the watchdog) still kill it. Stopping keeps the loop alive with its own timer.
  child.unref();
  for (const stream of [child.stdin, child.stdout, child.stderr]) (stream as net.Socket | null)?.unref();
  const pid = child.pid;
  if (pid !== undefined) runningGroups.add(pid);
  installExitHook();
  const exited = new Promise<void>((resolve) =>
    child.once('close', () => {
      if (pid !== undefined) {
        runningGroups.delete(pid);
        killGroup(pid, 'SIGKILL'); // the watchdog's `cat`, if still there
      }
      child.stdin?.destroy();
      resolve();
    }),
  );
  return { process: child, exited, output: () => output };
}

function hasExited(java: RunningJava): boolean {
  return java.process.exitCode !== null || java.process.signalCode !== null;
}

async function waitUntilServing(java: RunningJava, port: number): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (hasExited(java)) {
      throw new Error(`ZooKeeper on port ${port} exited while starting:\n${java.output()}`);
    }
    try {
      if ((await fourLetterWord(port, 'srvr')).includes('Mode: standalone')) return;
    } catch {
      // Not listening yet, or still loading its database.
    }
    await sleep(POLL_MS);
  }
  throw new Error(`ZooKeeper on port ${port} not ready within ${READY_TIMEOUT_MS} ms:\n${java.output()}`);
}

async function stopJava(java: RunningJava): Promise<void> {
  const pid = java.process.pid;
  if (pid === undefined) return java.exited;
  if (!hasExited(java)) java.process.kill('SIGTERM'); // the watchdog forwards it to java
  // Also keeps the event loop alive (the child is unref'd) until its close event arrives.
  const timer = setTimeout(() => killGroup(pid, 'SIGKILL'), STOP_GRACE_MS);
  try {
    await java.exited;
  } finally {
    clearTimeout(timer);
  }
}

async function launch(port: number, dataDir: string, tickTimeMs: number): Promise<RunningJava> {
  const java = spawnJava(port, dataDir, tickTimeMs);
  try {
    await waitUntilServing(java, port);
    return java;
  } catch (error) {
    await stopJava(java);
    throw error;
  }
}

/** Starts a standalone server on a free port with a fresh data dir. */
export async function startZooKeeper(options: { tickTimeMs?: number } = {}): Promise<ZooKeeperServer> {
  await assertInstalled();
  const tickTimeMs = options.tickTimeMs ?? DEFAULT_TICK_MS;
  const dataDir = await mkdtemp(join(tmpdir(), 'borealis-zk-'));
  liveDataDirs.add(dataDir);
  installExitHook();
  let java: RunningJava | undefined;
  let port = 0;
  let lastError: unknown;
  // The port is free when picked but another process may take it before java binds it.
  for (let attempt = 0; attempt < START_ATTEMPTS && java === undefined; attempt += 1) {
    port = await freePort();
    java = await launch(port, dataDir, tickTimeMs).catch((error: unknown) => {
      lastError = error;
      return undefined;
    });
  }
  if (java === undefined) {
    liveDataDirs.delete(dataDir);
    await rm(dataDir, { recursive: true, force: true });
    throw lastError;
  }
  let current: RunningJava | undefined = java;
  let stopped = false;
  return {
    connect: `127.0.0.1:${port}`,
    port,
    dataDir,
    async stop() {
      stopped = true;
      if (current !== undefined) await stopJava(current);
      current = undefined;
      liveDataDirs.delete(dataDir);
      await rm(dataDir, { recursive: true, force: true });
    },
    async restart() {
      if (stopped) throw new Error(`ZooKeeper on port ${port} was stopped; it cannot restart`);
      if (current !== undefined) await stopJava(current);
      current = undefined;
      current = await launch(port, dataDir, tickTimeMs);
    },
  };
}

interface Pair {
  client: net.Socket;
  upstream: net.Socket;
}

/** The local ports of each proxy's upstream connections, as the server sees its clients. */
const upstreamPorts = new WeakMap<TcpProxy, () => number[]>();

function relay(client: net.Socket, targetPort: number, pairs: Set<Pair>): void {
  const upstream = net.connect(targetPort, '127.0.0.1');
  const pair = { client, upstream };
  pairs.add(pair);
  const end = () => {
    pairs.delete(pair);
    client.destroy();
    upstream.destroy();
  };
  for (const socket of [client, upstream]) {
    socket.setNoDelay(true);
    socket.on('error', end);
    socket.on('close', end);
  }
  client.pipe(upstream);
  upstream.pipe(client);
}

/** A TCP proxy on 127.0.0.1 to `targetPort`, which a test can cut and restore. */
export async function startProxy(targetPort: number): Promise<TcpProxy> {
  const pairs = new Set<Pair>();
  let refusing = false;
  const server = net.createServer((client) => {
    if (refusing) client.destroy();
    else relay(client, targetPort, pairs);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('proxy got no TCP port');
  const destroyAll = () => {
    for (const { client, upstream } of [...pairs]) {
      client.destroy();
      upstream.destroy();
    }
    pairs.clear();
  };
  const proxy: TcpProxy = {
    connect: `127.0.0.1:${address.port}`,
    port: address.port,
    cut() {
      refusing = true;
      destroyAll();
    },
    restore() {
      refusing = false;
    },
    close() {
      refusing = true;
      destroyAll();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  upstreamPorts.set(proxy, () =>
    [...pairs].flatMap(({ upstream }) => (upstream.localPort === undefined ? [] : [upstream.localPort])),
  );
  return proxy;
}

/** Session ids (`0x…`) of the connections `cons` lists from the given client ports. */
export function sessionsOfPorts(cons: string, ports: readonly number[]): string[] {
  const wanted = new Set(ports);
  const sessions: string[] = [];
  for (const match of cons.matchAll(/:(\d+)\[\d+\]\([^)]*\bsid=(0x[0-9a-f]+)/g)) {
    if (wanted.has(Number(match[1])) && match[2] !== undefined) sessions.push(match[2]);
  }
  return sessions;
}

/** Session ids the server's session tracker still holds, from `dump`. */
export function liveSessions(dump: string): Set<string> {
  const tracker = dump.split('ephemeral nodes dump:')[0] ?? '';
  return new Set(tracker.match(/\b0x[0-9a-f]+\b/g) ?? []);
}

async function waitUntilExpired(
  server: ZooKeeperServer,
  sessions: string[],
  deadlineMs: number,
): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const live = liveSessions(await fourLetterWord(server.port, 'dump'));
    if (sessions.every((session) => !live.has(session))) return;
    if (Date.now() > deadline) {
      throw new Error(`sessions ${sessions.join(', ')} still live ${deadlineMs} ms after the proxy was cut`);
    }
    await sleep(POLL_MS);
  }
}

/**
 * Expires every session whose client goes through `proxy`: cut, wait until the server has
 * expired them, restore (the clients then reconnect and learn their session expired).
 *
 * The sessions are identified before the cut (`cons` maps the proxy's upstream ports to
 * session ids) and their expiry is awaited by polling `dump`, so the wait is as short as
 * the server allows: the negotiated timeout plus up to one tick. When no session is seen
 * (a client between two connections), there is nothing to poll for and the wait falls
 * back to time: the timeout plus a margin of a second.
 */
export async function expireSessions(
  proxy: TcpProxy,
  server: ZooKeeperServer,
  sessionTimeoutMs: number,
): Promise<void> {
  const ports = upstreamPorts.get(proxy)?.() ?? [];
  const sessions =
    ports.length === 0 ? [] : sessionsOfPorts(await fourLetterWord(server.port, 'cons'), ports);
  proxy.cut();
  try {
    if (sessions.length === 0) await sleep(sessionTimeoutMs + 1_000);
    // The server may have negotiated a longer timeout than asked for (at most 20 ticks).
    else await waitUntilExpired(server, sessions, deadlineMs(3 * sessionTimeoutMs + 10_000));
  } finally {
    proxy.restore();
  }
}
