/**
 * A promise-based ZooKeeper session over node-zookeeper-client (callbacks only). One
 * session per process role; its connection state is surfaced as events, because the
 * difference between "disconnected" (pause, the session may survive) and "expired" (every
 * ephemeral node is gone; stop acting at once) decides what Borealis may do.
 */
import { EventEmitter } from 'node:events';
import zookeeper from 'node-zookeeper-client';
import type { ACL, Client, Event as ZkEvent, Exception, Stat } from 'node-zookeeper-client';

const { createClient, CreateMode, Exception: ZkException, ACL: ZkACL, Id, Permission } = zookeeper;

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
  /** How long `open` waits for the first connection. */
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
  ) {
    super(message);
    this.name = 'ZkError';
  }
}

export const ZK_CODES = {
  NO_NODE: ZkException.NO_NODE,
  NODE_EXISTS: ZkException.NODE_EXISTS,
  BAD_VERSION: ZkException.BAD_VERSION,
  NOT_EMPTY: ZkException.NOT_EMPTY,
  SESSION_EXPIRED: ZkException.SESSION_EXPIRED,
  CONNECTION_LOSS: ZkException.CONNECTION_LOSS,
  NO_AUTH: ZkException.NO_AUTH,
};

export function hasCode(error: unknown, code: number): boolean {
  return error instanceof ZkError && error.code === code;
}

function toError(error: Error | Exception, operation: string): ZkError | Error {
  if (error instanceof ZkException) {
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

function call<T>(operation: string, invoke: (callback: Callback<T>) => void): Promise<T> {
  return new Promise((resolve, reject) =>
    invoke((error, value) => (error ? reject(toError(error, operation)) : resolve(value))),
  );
}

export class ZkSession extends EventEmitter {
  state: SessionState = 'connecting';
  private readonly acl: ACL[] | undefined;

  private constructor(
    readonly client: Client,
    readonly options: ZkSessionOptions,
  ) {
    super();
    this.acl = options.auth ? [new ZkACL(Permission.ALL, new Id('auth', ''))] : undefined;
    client.on('connected', () => this.move('connected'));
    client.on('disconnected', () => this.move('disconnected'));
    client.on('expired', () => this.move('expired'));
  }

  static async open(options: ZkSessionOptions): Promise<ZkSession> {
    const client = createClient(options.connect, {
      sessionTimeout: options.sessionTimeoutMs ?? 6_000,
      spinDelay: 200,
      retries: 1,
    });
    const session = new ZkSession(client, options);
    if (options.auth) client.addAuthInfo('digest', Buffer.from(options.auth.digest));
    const connected = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        client.close();
        reject(
          new Error(
            `cannot reach ZooKeeper at ${options.connect} within ${options.connectTimeoutMs ?? 10_000} ms`,
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
    const modes = {
      persistent: CreateMode.PERSISTENT,
      ephemeral: CreateMode.EPHEMERAL,
      'ephemeral-sequential': CreateMode.EPHEMERAL_SEQUENTIAL,
      'persistent-sequential': CreateMode.PERSISTENT_SEQUENTIAL,
    };
    return call('create', (cb) =>
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
      try {
        await this.create(prefix);
      } catch (error) {
        if (!hasCode(error, ZK_CODES.NODE_EXISTS)) throw error;
      }
    }
  }

  /** Data and version, or null when the node does not exist. */
  async get(
    path: string,
    watcher?: (event: ZkEvent) => void,
  ): Promise<{ data: Buffer; version: number; stat: Stat } | null> {
    try {
      const [data, stat] = await new Promise<[Buffer, Stat]>((resolve, reject) => {
        const cb = (error: Error | Exception | null, value: Buffer, st: Stat) =>
          error ? reject(toError(error, 'get')) : resolve([value ?? Buffer.alloc(0), st]);
        if (watcher) this.client.getData(path, watcher, cb);
        else this.client.getData(path, cb);
      });
      return { data, version: stat.version, stat };
    } catch (error) {
      if (hasCode(error, ZK_CODES.NO_NODE)) return null;
      throw error;
    }
  }

  /** Writes data; with `version`, only if the node is at that version. Returns the new version. */
  async set(path: string, data: Buffer, version = -1): Promise<number> {
    const stat = await call<Stat>('set', (cb) => this.client.setData(path, data, version, cb));
    return stat.version;
  }

  remove(path: string, version = -1): Promise<void> {
    return call<void>('remove', (cb) => this.client.remove(path, version, (error) => cb(error, undefined)));
  }

  async exists(path: string, watcher?: (event: ZkEvent) => void): Promise<Stat | null> {
    const stat = await call<Stat | null>('exists', (cb) =>
      watcher ? this.client.exists(path, watcher, cb) : this.client.exists(path, cb),
    );
    return stat ?? null;
  }

  /** Children names, or null when the node does not exist. */
  async children(path: string, watcher?: (event: ZkEvent) => void): Promise<string[] | null> {
    try {
      return await new Promise<string[]>((resolve, reject) => {
        const cb = (error: Error | Exception | null, children: string[]) =>
          error ? reject(toError(error, 'children')) : resolve(children);
        if (watcher) this.client.getChildren(path, watcher, cb);
        else this.client.getChildren(path, cb);
      });
    } catch (error) {
      if (hasCode(error, ZK_CODES.NO_NODE)) return null;
      throw error;
    }
  }

  /** All operations or none (ZooKeeper multi); the first failing operation's error is thrown. */
  async multi(ops: readonly ZkOp[]): Promise<void> {
    const transaction = this.client.transaction();
    for (const op of ops) {
      if (op.op === 'create') {
        const mode = op.ephemeral ? CreateMode.EPHEMERAL : CreateMode.PERSISTENT;
        if (this.acl) transaction.create(op.path, op.data ?? Buffer.alloc(0), this.acl, mode);
        else transaction.create(op.path, op.data ?? Buffer.alloc(0), mode);
      } else if (op.op === 'set') transaction.setData(op.path, op.data, op.version ?? -1);
      else if (op.op === 'remove') transaction.remove(op.path, op.version ?? -1);
      else transaction.check(op.path, op.version ?? -1);
    }
    await call<unknown>('multi', (cb) => transaction.commit(cb));
  }

  private move(state: SessionState): void {
    if (this.state === 'closed' || this.state === state) return;
    this.state = state;
    this.emit(state);
    this.emit('state', state);
  }
}
