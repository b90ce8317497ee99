import type { FastifyRequest } from 'fastify';

/**
 * What was decided for a request, in words, so the one log line per webhook (written when
 * the response is sent) can say why, whether the handler or the error handler decided.
 * A WeakMap rather than a request decoration keeps this out of fastify's global types.
 */
const outcomes = new WeakMap<FastifyRequest, string>();

export function recordOutcome(request: FastifyRequest, outcome: string): void {
  outcomes.set(request, outcome);
}

export function outcomeOf(request: FastifyRequest): string | undefined {
  return outcomes.get(request);
}
