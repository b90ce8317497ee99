/**
 * The daemon's HTTP server: webhooks that wake the reconciler and a small read-only API.
 * It knows nothing about Git or clusters; everything it needs comes in as `ServerDeps`.
 */
import { fastify, type FastifyInstance } from 'fastify';
import { installErrorHandlers } from './error-handler.js';
import { formatListen, localUrl, parseListen } from './listen.js';
import { ReplayCache } from './replay-cache.js';
import { apiRoutes } from './routes/api.js';
import { operateRoutes } from './routes/operate.js';
import { webhookRoutes } from './routes/webhooks.js';
import type { ServerDeps } from './types.js';
import type { Log } from '../util/log.js';

export interface ServerOptions {
  /** Largest accepted request body; default 25 MiB, GitHub's own payload cap. */
  bodyLimitBytes?: number;
  /** How many recent delivery ids are remembered to refuse replays; default 10,000. */
  replayCacheSize?: number;
  /** One line per webhook decision (provider, delivery, result) and per internal error. */
  log?: Log;
}

export const DEFAULT_BODY_LIMIT_BYTES = 25 * 1024 * 1024;
export const DEFAULT_REPLAY_CACHE_SIZE = 10_000;
const REQUEST_TIMEOUT_MS = 120_000;

export function buildServer(deps: ServerDeps, options: ServerOptions = {}): FastifyInstance {
  const bodyLimit = options.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES;
  // No fastify logger: its request logging writes several lines per request; the server
  // writes one line per webhook decision through `options.log` instead.
  // requestTimeout: the webhook port faces the internet; a client trickling a body must not
  // hold a connection forever (fastify's default is no limit). 25 MiB in 2 min needs ~220 KB/s.
  const app = fastify({ logger: false, bodyLimit, requestTimeout: REQUEST_TIMEOUT_MS });
  // Internal errors must reach someone even when the daemon passes no logger.
  installErrorHandlers(app, options.log ?? ((line) => console.error(line)), bodyLimit);
  const replay = new ReplayCache(options.replayCacheSize ?? DEFAULT_REPLAY_CACHE_SIZE);
  // Encapsulated: the raw-body content-type parser applies to the webhook routes only.
  void app.register((scope, _options, done) => {
    webhookRoutes(scope, { deps, replay, log: options.log });
    done();
  });
  apiRoutes(app, deps);
  operateRoutes(app, deps);
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
  options: ServerOptions = {},
): Promise<RunningServer> {
  const { host, port } = parseListen(listen);
  const app = buildServer(deps, options);
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
