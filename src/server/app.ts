/**
 * The daemon's HTTP server: webhooks that wake the reconciler and a small read-only API.
 * It knows nothing about Git or clusters; everything it needs comes in as `ServerDeps`.
 */
import { fastify, type FastifyInstance } from 'fastify';
import { clientErrorHandler } from './client-error.js';
import { guardConnections, type ConnectionLimits } from './connection-guard.js';
import { installErrorHandlers } from './error-handler.js';
import { DEFAULT_MAX_CONNECTIONS, DEFAULT_MAX_CONNECTIONS_PER_CLIENT } from './limits.js';
import { formatListen, localUrl, parseListen } from './listen.js';
import { OverloadReporter } from './overload.js';
import { ReplayJournal } from './replay-journal.js';
import { DEFAULT_REPLAY_CAPACITY, DEFAULT_REPLAY_WINDOW_MS, ReplayWindow } from './replay-window.js';
import { apiRoutes } from './routes/api.js';
import { operateRoutes } from './routes/operate.js';
import { webhookRoutes } from './routes/webhooks.js';
import type { ServerDeps } from './types.js';
import type { Log } from '../util/log.js';

export interface ServerOptions {
  /** Largest accepted request body; default 25 MiB, GitHub's own payload cap. */
  bodyLimitBytes?: number;
  /** How long an accepted delivery is remembered to refuse its replay; default 24 h. */
  replayWindowMs?: number;
  /** Most deliveries remembered at once; past it new ones are refused (503) until the oldest expires. */
  replayCapacity?: number;
  /** Where the remembered deliveries are kept across restarts; without it, in memory only. */
  replayFile?: string;
  /** Most open connections in all; default 512. */
  maxConnections?: number;
  /** Most open connections from one client address; default 32. */
  maxConnectionsPerClient?: number;
  /** A connection must send complete request headers within this long; default 10 s. */
  headersTimeoutMs?: number;
  /** Largest request headers, in bytes; more is answered 431. Default 16 KiB (Node's). */
  maxHeaderBytes?: number;
  /**
   * One line per webhook decision (provider, delivery, result), per internal error, per
   * overload (rate-limited). Required: internal errors and overload must reach someone.
   */
  log: Log;
}

export const DEFAULT_BODY_LIMIT_BYTES = 25 * 1024 * 1024;
export const DEFAULT_HEADERS_TIMEOUT_MS = 10_000;
/**
 * How long an answered connection may wait for its next request (fastify's default). It is
 * advertised (`Keep-Alive: timeout=72`), so clients stop reusing it first; an idle one is
 * still the first to go when the connection limit is reached.
 */
const KEEP_ALIVE_TIMEOUT_MS = 72_000;
export const DEFAULT_MAX_HEADER_BYTES = 16 * 1024;
/** 25 MiB in 2 min needs ~220 KB/s: a client trickling a body must not hold a connection forever. */
const REQUEST_TIMEOUT_MS = 120_000;
/** How often Node checks the headers and request timeouts (its default, 30 s, is too coarse). */
const TIMEOUT_CHECK_INTERVAL_MS = 1_000;

function buildServer(
  deps: ServerDeps,
  options: ServerOptions,
  replay: ReplayWindow,
  journal?: ReplayJournal,
) {
  const bodyLimit = options.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES;
  const maxHeaderBytes = options.maxHeaderBytes ?? DEFAULT_MAX_HEADER_BYTES;
  const headersTimeout = options.headersTimeoutMs ?? DEFAULT_HEADERS_TIMEOUT_MS;
  const { log } = options;
  const overload = new OverloadReporter(log, (reason) => deps.onRefusal?.(reason));
  const refused = overload.refused.bind(overload);
  // No fastify logger: its request logging writes several lines per request; the server
  // writes one line per webhook decision through `options.log` instead.
  const app = fastify({
    logger: false,
    bodyLimit,
    requestTimeout: REQUEST_TIMEOUT_MS,
    keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
    http: {
      maxHeaderSize: maxHeaderBytes,
      headersTimeout,
      connectionsCheckingInterval: TIMEOUT_CHECK_INTERVAL_MS,
    },
    clientErrorHandler: clientErrorHandler(maxHeaderBytes, refused),
  });
  const limits: ConnectionLimits = {
    maxConnections: options.maxConnections ?? DEFAULT_MAX_CONNECTIONS,
    maxPerClient: options.maxConnectionsPerClient ?? DEFAULT_MAX_CONNECTIONS_PER_CLIENT,
    idleTimeoutMs: headersTimeout,
  };
  const guard = guardConnections(app.server, limits, refused);
  // Half-sent requests would otherwise hold a shutdown for up to the headers timeout.
  app.addHook('preClose', (done) => {
    guard.closeIdle();
    done();
  });
  installErrorHandlers(app, log, bodyLimit);
  // Encapsulated: the raw-body content-type parser applies to the webhook routes only.
  void app.register((scope, _options, done) => {
    webhookRoutes(scope, { deps, replay, journal, overload, log: options.log });
    done();
  });
  apiRoutes(app, deps);
  operateRoutes(app, deps);
  app.addHook('onClose', async () => {
    overload.close();
    await journal?.flush();
  });
  return app;
}

export interface RunningServer {
  /** A URL that reaches the server from this machine, with the real port (also when listening on port 0). */
  url: string;
  /** The address it listens on, with the real port: what followers and `plan` are told. */
  listen: string;
  close(): Promise<void>;
}

/** Listens on `listen` (`HOST:PORT`, `:PORT` or `PORT`; see `parseListen`). */
export async function startServer(
  deps: ServerDeps,
  listen: string,
  options: ServerOptions,
): Promise<RunningServer> {
  const { host, port } = parseListen(listen);
  const app = await openServer(deps, options);
  try {
    await app.listen({ host, port });
  } catch (error) {
    await app.close();
    throw error;
  }
  const address = app.server.address();
  if (address === null || typeof address === 'string') {
    throw new Error('server is not listening on a TCP port');
  }
  return {
    url: localUrl(host, address.port),
    listen: formatListen(host, address.port),
    close: () => app.close(),
  };
}

async function openServer(deps: ServerDeps, options: ServerOptions): Promise<FastifyInstance> {
  const replay = new ReplayWindow(
    options.replayWindowMs ?? DEFAULT_REPLAY_WINDOW_MS,
    options.replayCapacity ?? DEFAULT_REPLAY_CAPACITY,
  );
  let journal: ReplayJournal | undefined;
  if (options.replayFile !== undefined) {
    const opened = await ReplayJournal.open(options.replayFile, replay);
    journal = opened.journal;
    if (opened.skipped > 0) {
      options.log?.(
        `webhook replay journal ${options.replayFile}: skipped ${opened.skipped} unreadable lines (a write cut short)`,
        { skipped: opened.skipped },
        'warn',
      );
    }
  }
  return buildServer(deps, options, replay, journal);
}
