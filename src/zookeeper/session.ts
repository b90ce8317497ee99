/**
 * A promise-based ZooKeeper session over node-zookeeper-client (callbacks only). One
 * session per process role; its connection state is surfaced as events, because the
 * difference between "disconnected" (pause, the session may survive) and "expired" (every
 * ephemeral node is gone; stop acting at once) decides what Borealis may do.
 */
import { EventEmitter } from 'node:events';
import type zookeeper from 'node-zookeeper-client';
import type { ACL, Client, Event as ZkEvent, Exception, Stat, Transaction } from 'node-zookeeper-client';
import { BorealisError } from '../errors.js';

type ZooKeeperModule = typeof zookeeper;
/**
 * node-zookeeper-client, loaded by the first session: a command that opens none (plan or
 * status on state in a directory) does not pay for loading it.
 */
let loaded: ZooKeeperModule | undefined;

function library(): ZooKeeperModule {
  if (!loaded) throw new Error('node-zookeeper-client is used before a session loaded it');
  return loaded;
}

function isZkException(error: unknown): error is Exception {
  return loaded !== undefined && error instanceof loaded.Exception;
}

export type SessionState = 'connecting' | 'connected' | 'disconnected' | 'expired' | 'closed';

export interface ZkAuth {
  /** `user:password` for ZooKeeper's digest scheme. */
  digest: string;
}

export interface ZkSessionOptions {
  /** `host:port[,host:port]` (no chroot: callers prefix their own paths). */
  connect: string;
  sessionTimeoutMs?: number;
  /** Digest credentials; nodes Borealis creates are then readable and writable by these only. */
  auth?: ZkAuth;
  /**
   * How long `open` waits for the first connection, and an operation issued while
   * disconnected waits for the next one before failing with CONNECTION_LOSS (it was never
   * sent, so it certainly did not happen). Default 10 s.
   */
  connectTimeoutMs?: number;
}

export type ZkOp =
  | { op: 'create'; path: string; data?: Buffer; ephemeral?: boolean }
  | { op: 'set'; path: string; data: Buffer; version?: number }
  | { op: 'remove'; path: string; version?: number }
  | { op: 'check'; path: string; version?: number };

export class ZkError extends Error {
  constructor(
    readonly code: number,
    readonly codeName: string,
    readonly path: string | undefined,
    message: string,
    /** For a failed `multi`: the index of the operation that failed (its path is `path`). */
    readonly opIndex?: number,
  ) {
    super(message);
    this.name = 'ZkError';
  }
}

/** ZooKeeper's own error codes (`KeeperException.Code`), fixed by its protocol. */
export const ZK_CODES = {
  NO_NODE: -101,
  NODE_EXISTS: -110,
  BAD_VERSION: -103,
  NOT_EMPTY: -111,
  SESSION_EXPIRED: -112,
  CONNECTION_LOSS: -4,
  NO_AUTH: -102,
};

export function hasCode(error: unknown, code: number): boolean {
  return error instanceof ZkError && error.code === code;
}

function toError(error: Error | Exception, operation: string): ZkError | Error {
  if (isZkException(error)) {
    const path = error.getPath?.() || undefined;
    return new ZkError(
      error.getCode(),
      error.getName(),
      path,
      `zookeeper ${operation}${path ? ` ${path}` : ''}: ${error.getName()}`,
    );
  }
  return error;
}

type Callback<T> = (error: Error | Exception | null, value: T) => void;

const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
/** A connection attempt still without an answer after this long (bounded below and above) is abandoned. */
const HANDSHAKE_TIMEOUT_BOUNDS_MS = [500, 2_000] as const;
/** Tries of a read whose connection was lost (each waits for the reconnect first). */
const READ_ATTEMPTS = 3;

/** Errors of requests never sent because no connection came: retrying them would only wait again. */
const waitedInVain = new WeakSet<Error>();

/** An error for a request that never reached the server, named like the client's own. */
function codeError(name: 'SESSION_EXPIRED' | 'CONNECTION_LOSS', operation: string): ZkError {
  const error = new ZkError(ZK_CODES[name], name, undefined, `zookeeper ${operation}: ${name}`);
  waitedInVain.add(error);
  return error;
}

/**
 * Whether a failed request certainly never reached the server (no connection came in
 * time, or the session had expired): a write that failed so did not happen.
 */
export function neverSent(error: unknown): boolean {
  return error instanceof ZkError && waitedInVain.has(error);
}

function worthRetrying(error: unknown): boolean {
  return hasCode(error, ZK_CODES.CONNECTION_LOSS) && !waitedInVain.has(error as Error);
}

/** One result of a multi as node-zookeeper-client reports it: `err` is set on failure. */
interface MultiResult {
  err?: number;
}

/**
 * The error of a failed multi, naming the operation that failed: ZooKeeper answers OK for
 * the operations before it, its own error for it, and RUNTIME_INCONSISTENCY after it.
 */
function multiError(error: Error | Exception, results: unknown, ops: readonly ZkOp[]): ZkError | Error {
  const index = Array.isArray(results)
    ? (results as MultiResult[]).findIndex((result) => result.err !== undefined && result.err !== 0)
    : -1;
  const failed = ops[index];
  if (!isZkException(error) || failed === undefined) return toError(error, 'multi');
  const name = error.getName();
  return new ZkError(
    error.getCode(),
    name,
    failed.path,
    `zookeeper multi: ${failed.op} ${failed.path} (operation ${index + 1} of ${ops.length}): ${name}`,
    index,
  );
}

/** The one piece of node-zookeeper-client's internals the session touches (see `watchHandshakes`). */
interface ClientInternals {
  connectionManager?: { socket?: { destroy(): void } };
}

/**
 * node-zookeeper-client's Transaction does `version = version || -1` in setData, remove
 * and check, so version 0 (every znode's first version) silently becomes -1, "any
 * version": a conditional write in a multi would be unconditional. Put the version back
 * on the operation just added; refuse to go on if the library no longer looks as expected.
 */
function keepVersion(transaction: Transaction, version: number): void {
  const ops = (transaction as unknown as { ops?: { version?: unknown }[] }).ops;
  const last = ops?.[ops.length - 1];
  if (last === undefined || typeof last.version !== 'number') {
    throw new Error('node-zookeeper-client Transaction internals changed: cannot set versions in a multi');
  }
  last.version = version;
}

export class ZkSession extends EventEmitter {
  state: SessionState = 'connecting';
  private readonly acl: ACL[] | undefined;
  /** Rejecters of operations handed to the client and not answered yet. */
  private readonly inFlight = new Set<(error: Error) => void>();
  /** Requests waiting for a connection (a set, not listeners: there may be thousands). */
  private readonly waiting = new Set<(state: SessionState) => void>();
  private handshakeTimer: NodeJS.Timeout | undefined;

  private constructor(
    readonly client: Client,
    readonly options: ZkSessionOptions,
  ) {
    super();
    const { ACL: ZkACL, Permission, Id } = library();
    this.acl = options.auth ? [new ZkACL(Permission.ALL, new Id('auth', ''))] : undefined;
    this.watchHandshakes();
    client.on('connected', () => this.move('connected'));
    client.on('disconnected', () => this.move('disconnected'));
    client.on('expired', () => {
      this.move('expired');
      // The client never sends what it still queues once the session has expired, and
      // never calls back either: fail those operations rather than leave them hanging.
      for (const reject of [...this.inFlight]) reject(codeError('SESSION_EXPIRED', 'request'));
    });
  }

  static async open(options: ZkSessionOptions): Promise<ZkSession> {
    loaded ??= (await import('node-zookeeper-client')).default;
    const client = loaded.createClient(options.connect, {
      sessionTimeout: options.sessionTimeoutMs ?? 6_000,
      spinDelay: 200,
      // The client's own retry re-sends a request lost with the connection, writes too (a
      // create that did happen then fails NODE_EXISTS, or leaves a second sequential node),
      // and queues it before the credentials when still disconnected. Reads are retried by
      // `call` instead, after the reconnect; writes report CONNECTION_LOSS.
      retries: 0,
    });
    const session = new ZkSession(client, options);
    if (options.auth) client.addAuthInfo('digest', Buffer.from(options.auth.digest));
    const connected = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        session.close();
        reject(
          new BorealisError(
            'ZK_UNREACHABLE',
            `cannot reach ZooKeeper at ${options.connect} within ${options.connectTimeoutMs ?? 10_000} ms`,
            { hint: 'check that ZooKeeper runs there and that the zk:// URL of --state names it' },
          ),
        );
      }, options.connectTimeoutMs ?? 10_000);
      client.once('connected', () => {
        clearTimeout(timer);
        resolve();
      });
    });
    client.connect();
    await connected;
    return session;
  }

  /** The session id as hex, for logs and for telling sessions apart. */
  get id(): string {
    return this.client.getSessionId().toString('hex');
  }

  get timeoutMs(): number {
    return this.client.getSessionTimeout();
  }

  close(): void {
    if (this.state === 'closed') return;
    this.client.close();
    this.move('closed');
  }

  create(
    path: string,
    data: Buffer = Buffer.alloc(0),
    mode: 'persistent' | 'ephemeral' | 'ephemeral-sequential' | 'persistent-sequential' = 'persistent',
  ): Promise<string> {
    const { CreateMode } = library();
    const modes = {
      persistent: CreateMode.PERSISTENT,
      ephemeral: CreateMode.EPHEMERAL,
      'ephemeral-sequential': CreateMode.EPHEMERAL_SEQUENTIAL,
      'persistent-sequential': CreateMode.PERSISTENT_SEQUENTIAL,
    };
    return this.call('create', (cb) =>
      this.acl
        ? this.client.create(path, data, this.acl, modes[mode], cb)
        : this.client.create(path, data, modes[mode], cb),
    );
  }

  /** Creates every missing ancestor and the node itself; existing nodes are fine. */
  async mkdirp(path: string): Promise<void> {
    let prefix = '';
    for (const part of path.split('/').filter(Boolean)) {
      prefix += `/${part}`;
      await this.createIfMissing(prefix);
    }
  }

  /** Data and version, or null when the node does not exist. */
  async get(
    path: string,
    watcher?: (event: ZkEvent) => void,
  ): Promise<{ data: Buffer; version: number; stat: Stat } | null> {
    try {
      const [data, stat] = await this.read<[Buffer, Stat]>('get', (cb) => {
        const done = (error: Error | Exception | null, value: Buffer, st: Stat) =>
          cb(error, [value ?? Buffer.alloc(0), st]);
        if (watcher) this.client.getData(path, watcher, done);
        else this.client.getData(path, done);
      });
      return { data, version: stat.version, stat };
    } catch (error) {
      if (hasCode(error, ZK_CODES.NO_NODE)) return null;
      throw error;
    }
  }

  /** Writes data; with `version`, only if the node is at that version. Returns the new version. */
  async set(path: string, data: Buffer, version = -1): Promise<number> {
    const stat = await this.call<Stat>('set', (cb) => this.client.setData(path, data, version, cb));
    return stat.version;
  }

  remove(path: string, version = -1): Promise<void> {
    return this.call<void>('remove', (cb) =>
      this.client.remove(path, version, (error) => cb(error, undefined)),
    );
  }

  async exists(path: string, watcher?: (event: ZkEvent) => void): Promise<Stat | null> {
    const stat = await this.read<Stat | null>('exists', (cb) =>
      watcher ? this.client.exists(path, watcher, cb) : this.client.exists(path, cb),
    );
    return stat ?? null;
  }

  /** Children names, or null when the node does not exist. */
  async children(path: string, watcher?: (event: ZkEvent) => void): Promise<string[] | null> {
    try {
      return await this.read<string[]>('children', (cb) => {
        if (watcher) this.client.getChildren(path, watcher, cb);
        else this.client.getChildren(path, cb);
      });
    } catch (error) {
      if (hasCode(error, ZK_CODES.NO_NODE)) return null;
      throw error;
    }
  }

  /**
   * All operations or none (ZooKeeper multi). The failing operation's error is thrown, with
   * its index as `opIndex` and its path as `path`.
   */
  async multi(ops: readonly ZkOp[]): Promise<void> {
    const { CreateMode } = library();
    const transaction = this.client.transaction();
    for (const op of ops) {
      if (op.op === 'create') {
        const mode = op.ephemeral ? CreateMode.EPHEMERAL : CreateMode.PERSISTENT;
        if (this.acl) transaction.create(op.path, op.data ?? Buffer.alloc(0), this.acl, mode);
        else transaction.create(op.path, op.data ?? Buffer.alloc(0), mode);
      } else if (op.op === 'set') transaction.setData(op.path, op.data, op.version ?? -1);
      else if (op.op === 'remove') transaction.remove(op.path, op.version ?? -1);
      else transaction.check(op.path, op.version ?? -1);
      if (op.op !== 'create') keepVersion(transaction, op.version ?? -1);
    }
    await this.call<unknown>(
      'multi',
      (cb) => transaction.commit((error, results) => cb(error, results)),
      (error, results) => multiError(error, results, ops),
    );
  }

  /** Creating an empty node is idempotent: a lost connection is retried like a read. */
  private async createIfMissing(path: string): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.create(path);
        return;
      } catch (error) {
        if (hasCode(error, ZK_CODES.NODE_EXISTS)) return;
        if (!worthRetrying(error) || attempt >= READ_ATTEMPTS) throw error;
      }
    }
  }

  /** A request without side effects: when the connection is lost, it is sent again after the reconnect. */
  private async read<T>(operation: string, invoke: (callback: Callback<T>) => void): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.call(operation, invoke);
      } catch (error) {
        if (!worthRetrying(error) || attempt >= READ_ATTEMPTS) throw error;
      }
    }
  }

  /**
   * Sends one request once connected and settles with its answer. Waiting for the
   * connection first (rather than letting the client queue the request) matters twice:
   * after a reconnect the client sends requests it queued before the digest credentials,
   * so they would fail with NO_AUTH; and a request queued when the session turns out to be
   * expired is never answered.
   */
  private async call<T>(
    operation: string,
    invoke: (callback: Callback<T>) => void,
    translate: (error: Error | Exception, value: T) => Error = (error) => toError(error, operation),
  ): Promise<T> {
    await this.connected(operation);
    return new Promise<T>((resolve, reject) => {
      const fail = (error: Error) => {
        this.inFlight.delete(fail);
        reject(error);
      };
      this.inFlight.add(fail);
      invoke((error, value) => {
        this.inFlight.delete(fail);
        if (error) reject(translate(error, value));
        else resolve(value);
      });
    });
  }

  /** Resolves when connected; fails at once when expired or closed, and after the connect timeout. */
  private connected(operation: string): Promise<void> {
    if (this.state === 'connected') return Promise.resolve();
    if (this.state === 'expired') return Promise.reject(codeError('SESSION_EXPIRED', operation));
    if (this.state === 'closed') return Promise.reject(codeError('CONNECTION_LOSS', operation));
    const timeoutMs = this.options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    return new Promise<void>((resolve, reject) => {
      const onState = (state: SessionState) => {
        if (state === 'disconnected' || state === 'connecting') return;
        finish();
        if (state === 'connected') resolve();
        else reject(codeError(state === 'expired' ? 'SESSION_EXPIRED' : 'CONNECTION_LOSS', operation));
      };
      const timer = setTimeout(() => {
        finish();
        reject(codeError('CONNECTION_LOSS', `${operation} (not connected within ${timeoutMs} ms)`));
      }, timeoutMs);
      const finish = () => {
        clearTimeout(timer);
        this.waiting.delete(onState);
      };
      this.waiting.add(onState);
    });
  }

  /**
   * node-zookeeper-client has no handshake timeout: once TCP connects, it waits for the
   * server's answer forever, and a server that accepts connections while still starting
   * (a restart) may never answer, so the session would stay disconnected until it is
   * long expired. While not connected, a connection attempt that is still the current one
   * after an interval is destroyed; the client then tries again at once.
   */
  private watchHandshakes(): void {
    if (this.handshakeTimer !== undefined) return;
    const [min, max] = HANDSHAKE_TIMEOUT_BOUNDS_MS;
    const intervalMs = Math.min(Math.max(this.timeoutMs / 4, min), max);
    let previous: unknown;
    this.handshakeTimer = setInterval(() => {
      const socket = (this.client as unknown as ClientInternals).connectionManager?.socket;
      if (socket !== undefined && socket === previous) socket.destroy();
      previous = socket;
    }, intervalMs);
    this.handshakeTimer.unref();
  }

  private stopWatchingHandshakes(): void {
    clearInterval(this.handshakeTimer);
    this.handshakeTimer = undefined;
  }

  private move(state: SessionState): void {
    // Expired is final: the client still reports its socket closing afterwards.
    if (this.state === 'closed' || this.state === state) return;
    if (this.state === 'expired' && state !== 'closed') return;
    if (state === 'disconnected') this.watchHandshakes();
    else this.stopWatchingHandshakes();
    this.state = state;
    for (const waiter of [...this.waiting]) waiter(state);
    this.emit(state);
    this.emit('state', state);
  }
}
