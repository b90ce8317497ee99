/**
 * Connection limits for a server that faces the internet, so that idle or half-sent
 * connections cannot use up file descriptors and lock everyone else out (`/healthz`
 * included):
 * - a new connection must send complete request headers within `idleTimeoutMs`, else it
 *   is closed (slowloris). A connection that has been answered is a keep-alive one: Node
 *   closes it after its advertised keep-alive timeout, and its next request's headers are
 *   bounded by Node's headers timeout. A timer of ours racing that advertised timeout would
 *   close connections a client may rightly reuse, and, when the event loop is busy, fire
 *   before the waiting request is read;
 * - one client address holds at most `maxPerClient` connections: more are closed at once;
 * - in all at most `maxConnections`: when full, the oldest idle connection of the client
 *   holding the most is closed to make room, so a newcomer gets in while the flood is
 *   idle connections; only when every connection is busy with a request is the newcomer closed.
 * Refused connections are closed at once, never held.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { RefusalReason } from './overload.js';

export interface ConnectionLimits {
  maxConnections: number;
  maxPerClient: number;
  idleTimeoutMs: number;
}

interface Connection {
  socket: Socket;
  client: string;
  /** Requests being answered on it now. */
  active: number;
  /** Requests it has sent whose headers arrived. */
  served: number;
  idleTimer: NodeJS.Timeout | undefined;
}

/** What to do with a new connection, given who holds the others (pure). */
export type Admission =
  { kind: 'accept' } | { kind: 'evict'; victim: Socket } | { kind: 'refuse'; reason: RefusalReason };

export function admit(
  client: string,
  byClient: ReadonlyMap<string, ReadonlySet<Connection>>,
  total: number,
  limits: Pick<ConnectionLimits, 'maxConnections' | 'maxPerClient'>,
): Admission {
  if ((byClient.get(client)?.size ?? 0) >= limits.maxPerClient) {
    return { kind: 'refuse', reason: 'client_connection_limit' };
  }
  if (total < limits.maxConnections) return { kind: 'accept' };
  const victim = oldestIdleOfBusiestClient(byClient);
  return victim ? { kind: 'evict', victim: victim.socket } : { kind: 'refuse', reason: 'connection_limit' };
}

function oldestIdleOfBusiestClient(
  byClient: ReadonlyMap<string, ReadonlySet<Connection>>,
): Connection | undefined {
  const clients = [...byClient.values()].sort((a, b) => b.size - a.size);
  for (const connections of clients) {
    // A Set iterates in insertion order: the first idle one is the oldest.
    for (const connection of connections) if (connection.active === 0) return connection;
  }
  return undefined;
}

export interface ConnectionGuard {
  /** Open connections now. */
  readonly size: number;
  /** Closes the connections answering nothing, so that closing the server need not wait for them. */
  closeIdle(): void;
}

export function guardConnections(
  server: Server,
  limits: ConnectionLimits,
  refused: (reason: RefusalReason, detail: string) => void,
): ConnectionGuard {
  const bySocket = new Map<Socket, Connection>();
  const byClient = new Map<string, Set<Connection>>();

  const startIdleTimer = (connection: Connection) => {
    connection.idleTimer = setTimeout(() => {
      refused(
        'headers_timeout',
        `${connection.client} sent no complete request in ${limits.idleTimeoutMs} ms`,
      );
      connection.socket.destroy();
    }, limits.idleTimeoutMs);
  };

  const untrack = (connection: Connection) => {
    clearTimeout(connection.idleTimer);
    bySocket.delete(connection.socket);
    const mine = byClient.get(connection.client);
    mine?.delete(connection);
    if (mine?.size === 0) byClient.delete(connection.client);
  };

  // Before Node's own listener: a refused socket is destroyed before a parser is set up for it.
  server.prependListener('connection', (socket: Socket) => {
    const client = clientOf(socket);
    const admission = admit(client, byClient, bySocket.size, limits);
    if (admission.kind === 'refuse') {
      refused(
        admission.reason,
        `closed a new connection from ${client} (${describe(admission.reason, limits)})`,
      );
      socket.destroy();
      return;
    }
    if (admission.kind === 'evict') {
      const victim = bySocket.get(admission.victim)!;
      refused('idle_connection_evicted', `closed an idle connection of ${victim.client} to admit ${client}`);
      untrack(victim);
      admission.victim.destroy();
    }
    const connection: Connection = { socket, client, active: 0, served: 0, idleTimer: undefined };
    bySocket.set(socket, connection);
    byClient.set(client, (byClient.get(client) ?? new Set()).add(connection));
    socket.once('close', () => untrack(connection));
    startIdleTimer(connection);
  });

  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    const connection = bySocket.get(request.socket);
    if (!connection) return;
    clearTimeout(connection.idleTimer);
    connection.active += 1;
    connection.served += 1;
    response.once('close', () => {
      connection.active -= 1;
    });
  });

  return {
    get size() {
      return bySocket.size;
    },
    closeIdle() {
      for (const connection of bySocket.values()) if (connection.active === 0) connection.socket.destroy();
    },
  };
}

function clientOf(socket: Socket): string {
  const address = socket.remoteAddress ?? 'unknown';
  return address.startsWith('::ffff:') ? address.slice('::ffff:'.length) : address;
}

function describe(reason: RefusalReason, limits: ConnectionLimits): string {
  return reason === 'client_connection_limit'
    ? `it holds ${limits.maxPerClient} connections, the most one client may`
    : `all ${limits.maxConnections} connections are answering requests`;
}
