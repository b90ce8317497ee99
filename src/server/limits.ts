/**
 * The HTTP limits an operator may change with `watch` flags, with their defaults. Apart from
 * the server so that `watch.ts` can name them without loading fastify.
 */
export const DEFAULT_MAX_CONNECTIONS = 512;
/** Generous for a sender or a scraper; behind a reverse proxy every request has one address. */
export const DEFAULT_MAX_CONNECTIONS_PER_CLIENT = 32;
export const DEFAULT_REPLAY_WINDOW_SECS = 24 * 3600;
/** A longer window would keep a month of deliveries in memory for little gain. */
export const MAX_REPLAY_WINDOW_SECS = 30 * 24 * 3600;
