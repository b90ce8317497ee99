/** The SUBSCRIBE streams: opening, writing events, heartbeats, closing. */
import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { add as addPool } from './resources.js';
import { error, frame, heartbeat, type Json } from './events.js';
import type { Framework, State } from './state.js';

/** Starts the 200 chunked stream and returns its `Mesos-Stream-Id`. */
export function openStream(state: State, framework: Framework, res: ServerResponse): string {
  const streamId = randomUUID();
  // The connection ends with the stream (closeStream destroys it): a client must not pool
  // it, or its next call could go out on a socket that is already gone.
  res.writeHead(200, {
    'Content-Type': 'application/json',
    'Mesos-Stream-Id': streamId,
    Connection: 'close',
  });
  const beat = setInterval(() => write(res, heartbeat()), state.config.heartbeatSeconds * 1000);
  beat.unref();
  framework.subscription = { streamId, res, heartbeat: beat };
  res.on('close', () => {
    if (framework.subscription?.res === res) disconnect(state, framework);
  });
  return streamId;
}

/** Answers a SUBSCRIBE that fails master-side validation: 200, one ERROR event, end. */
export function refuse(res: ServerResponse, message: string): void {
  res.writeHead(200, { 'Content-Type': 'application/json' });
  res.end(frame(error(message)));
}

export function send(framework: Framework, event: Json): void {
  const sub = framework.subscription;
  if (sub !== undefined) write(sub.res, event);
}

function write(res: ServerResponse, event: Json): void {
  if (!res.writableEnded) res.write(frame(event));
}

/** Closes the framework's current stream (optionally after a last ERROR event). */
export function closeStream(framework: Framework, lastError?: string): void {
  const sub = framework.subscription;
  if (sub === undefined) return;
  if (lastError !== undefined) write(sub.res, error(lastError));
  clearInterval(sub.heartbeat);
  framework.subscription = undefined;
  sub.res.end();
  sub.res.socket?.destroy();
}

/** The connection broke: the framework is disconnected and its failover timeout starts. */
export function disconnect(state: State, framework: Framework): void {
  const sub = framework.subscription;
  if (sub !== undefined) clearInterval(sub.heartbeat);
  framework.subscription = undefined;
  recoverOffers(state, framework.id);
  const seconds = Number(framework.info.failover_timeout ?? 0);
  framework.failoverTimer = setTimeout(
    () => state.hooks.removeFramework(framework),
    Math.max(0, seconds) * 1000,
  );
  framework.failoverTimer.unref();
}

/** Outstanding offers of a framework go back to their agents (no RESCIND: it is gone). */
export function recoverOffers(state: State, frameworkId: string): void {
  for (const offer of [...state.offers.values()]) {
    if (offer.frameworkId !== frameworkId) continue;
    state.offers.delete(offer.id);
    const agent = state.agents.get(offer.agentId);
    if (agent !== undefined && !agent.lost) agent.free = addPool(agent.free, offer.pool);
  }
}
