/**
 * The v1 scheduler API over HTTP: one SUBSCRIBE stream (RecordIO of JSON events) and
 * calls on separate requests carrying the stream id. Follows 307s to the leading master
 * (their Location is protocol-relative), notices a silent stream by missed heartbeats,
 * and reports the end of a subscription so the driver can re-subscribe with the same
 * framework id after a back-off.
 */
import { BorealisError } from '../../errors.js';
import { parseMesosJson } from './json.js';
import { postJson, postToLeader } from './leader-http.js';
import { records } from './recordio.js';
import { subscribeCall, type FrameworkSettings, type SchedulerCall } from './scheduler-messages.js';

export type SchedulerEvent = { type: string } & Record<string, unknown>;

export interface Subscription {
  frameworkId: string;
  streamId: string;
  /** The master that accepted the subscription; calls go there. */
  master: string;
  heartbeatSeconds: number;
  /** Resolves with the reason when the stream ends (closed, errored, or silent too long). */
  ended: Promise<string>;
  close(): void;
}

export interface SubscribeOptions {
  masters: readonly string[];
  framework: FrameworkSettings;
  frameworkId?: string;
  onEvent: (event: SchedulerEvent) => void;
  /** Heartbeats missed before the stream counts as dead. */
  missedHeartbeats?: number;
}

export { leaderFromLocation } from './leader-http.js';

const PATH = '/api/v1/scheduler';

export async function subscribe(options: SubscribeOptions): Promise<Subscription> {
  const controller = new AbortController();
  const { response, master } = await postToLeader(
    options.masters,
    subscribeCall(options.framework, options.frameworkId),
    { path: PATH, call: 'SUBSCRIBE', signal: controller.signal },
  );
  if (response.status !== 200 || !response.body) {
    throw new BorealisError(
      'MESOS_SUBSCRIBE_FAILED',
      `SUBSCRIBE to ${master} answered ${response.status}: ${await response.text()}`,
    );
  }
  const streamId = response.headers.get('mesos-stream-id') ?? '';
  const events = records(response.body as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]();
  const first = await nextEvent(events);
  if (first?.type !== 'SUBSCRIBED') {
    controller.abort();
    const message = (first?.error as { message?: string } | undefined)?.message ?? JSON.stringify(first);
    throw new BorealisError('MESOS_SUBSCRIBE_REFUSED', `${master} refused the subscription: ${message}`);
  }
  const subscribed = first.subscribed as {
    framework_id: { value: string };
    heartbeat_interval_seconds?: number;
  };
  const heartbeatSeconds = subscribed.heartbeat_interval_seconds ?? 15;
  options.onEvent(first);
  const ended = pump(events, options.onEvent, heartbeatSeconds * (options.missedHeartbeats ?? 5), controller);
  return {
    frameworkId: subscribed.framework_id.value,
    streamId,
    master,
    heartbeatSeconds,
    ended,
    close: () => controller.abort(),
  };
}

/** Sends a call on an open subscription; Mesos answers 202 (accepted for processing). */
export async function sendCall(
  subscription: Pick<Subscription, 'master' | 'streamId' | 'frameworkId'>,
  call: SchedulerCall,
): Promise<void> {
  const body = { framework_id: { value: subscription.frameworkId }, ...call };
  const response = await postJson(`${subscription.master}${PATH}`, body, {
    'mesos-stream-id': subscription.streamId,
  });
  if (response.status === 202 || response.status === 200) {
    // Reading the (empty) body to its end returns the connection to the pool; cancelling
    // would close it, and a large launch would then open a connection per call.
    await response.arrayBuffer();
    return;
  }
  throw new BorealisError(
    'MESOS_CALL_FAILED',
    `${call.type} to ${subscription.master} answered ${response.status}: ${await response.text()}`,
  );
}

async function nextEvent(events: AsyncIterator<Uint8Array>): Promise<SchedulerEvent | undefined> {
  const next = await events.next();
  if (next.done) return undefined;
  return parseMesosJson(Buffer.from(next.value).toString('utf8')) as SchedulerEvent;
}

/** Delivers events until the stream ends or stays silent for `silenceSeconds`; resolves with why. */
async function pump(
  events: AsyncIterator<Uint8Array>,
  onEvent: (event: SchedulerEvent) => void,
  silenceSeconds: number,
  controller: AbortController,
): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  let silent = false;
  const arm = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      silent = true;
      controller.abort();
    }, silenceSeconds * 1000);
  };
  arm();
  try {
    for (;;) {
      const event = await nextEvent(events);
      if (!event) return 'the master closed the stream';
      arm();
      onEvent(event);
      if (event.type === 'ERROR')
        return `ERROR event: ${(event.error as { message?: string } | undefined)?.message ?? ''}`;
    }
  } catch (error) {
    if (silent) return `no heartbeat for ${silenceSeconds} s`;
    return controller.signal.aborted ? 'closed' : `stream failed: ${(error as Error).message}`;
  } finally {
    clearTimeout(timer);
  }
}
