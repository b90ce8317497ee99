/**
 * The daemon's one handle on notifications. `notify` only queues: it returns at once and
 * never throws, whatever the sinks are doing, because telling people about a deployment must
 * never slow or break the deployment.
 */
import { BorealisError } from '../errors.js';
import type { SinkConfig, SinkKind } from './config.js';
import {
  DEFAULT_DELIVERY_POLICY,
  SinkDelivery,
  type DeliveryPolicy,
  type DeliveryResult,
  type SinkStats,
} from './delivery.js';
import type { NotificationEvent } from './events.js';
import { mattermost } from './mattermost.js';
import type { SinkProtocol } from './protocol.js';
import { slack } from './slack.js';
import { teams } from './teams.js';
import { webhook } from './webhook.js';

export interface NotifierOptions extends Partial<DeliveryPolicy> {
  log?: (line: string) => void;
  /** For metrics: one call per message sent, failed or dropped and per retry. */
  onResult?: (sink: string, result: DeliveryResult) => void;
}

export interface CloseOptions {
  /** How long to keep delivering what is queued before cutting off; default 5 s. */
  timeoutMs?: number;
}

export interface Notifier {
  notify(event: NotificationEvent): void;
  /** Delivers what is queued until the deadline, then aborts the rest. Later events are dropped. */
  close(options?: CloseOptions): Promise<void>;
  stats(): SinkStats[];
}

export const DEFAULT_CLOSE_TIMEOUT_MS = 5_000;

const PROTOCOLS: Record<SinkKind, SinkProtocol> = { slack, mattermost, teams, webhook };

export function createNotifier(sinks: SinkConfig[], options: NotifierOptions = {}): Notifier {
  const { log = () => undefined, onResult, ...timings } = options;
  const policy = checkedPolicy({ ...DEFAULT_DELIVERY_POLICY, ...definedOnly(timings) });
  const report = resultReporter(log, onResult);
  const deliveries = sinks.map(
    (sink) =>
      new SinkDelivery(sink, PROTOCOLS[sink.kind], policy, { log, onResult: (r) => report(sink.name, r) }),
  );
  let closing: Promise<void> | undefined;
  let loggedLateEvent = false;

  return {
    notify(event) {
      try {
        if (closing === undefined) {
          for (const delivery of deliveries) delivery.enqueue(event);
          return;
        }
        for (const delivery of deliveries) delivery.discard();
        if (!loggedLateEvent) log(`notify: closed; dropping a ${event.type} event and any later ones`);
        loggedLateEvent = true;
      } catch (error) {
        log(`notify: dropped an event: ${error instanceof Error ? error.message : String(error)}`);
      }
    },
    close(closeOptions = {}) {
      closing ??= drainThenAbort(deliveries, closeOptions.timeoutMs ?? DEFAULT_CLOSE_TIMEOUT_MS);
      return closing;
    },
    stats: () => deliveries.map((delivery) => delivery.stats()),
  };
}

async function drainThenAbort(deliveries: SinkDelivery[], timeoutMs: number): Promise<void> {
  const drained = Promise.all(deliveries.map((delivery) => delivery.idle()));
  let timer: NodeJS.Timeout | undefined;
  // A referenced timer: while closing, the process stays up until drained or the deadline.
  const deadline = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
  await Promise.race([drained, deadline]);
  clearTimeout(timer);
  for (const delivery of deliveries) delivery.abort();
  await drained;
}

/** A metrics hook that throws must not stop deliveries; it is reported once. */
function resultReporter(
  log: (line: string) => void,
  onResult: NotifierOptions['onResult'],
): (sink: string, result: DeliveryResult) => void {
  let complained = false;
  return (sink, result) => {
    try {
      onResult?.(sink, result);
    } catch (error) {
      if (!complained) log(`notify: onResult threw (ignored from now on): ${String(error)}`);
      complained = true;
    }
  };
}

function definedOnly(timings: Partial<DeliveryPolicy>): Partial<DeliveryPolicy> {
  return Object.fromEntries(Object.entries(timings).filter(([, value]) => value !== undefined));
}

function checkedPolicy(policy: DeliveryPolicy): DeliveryPolicy {
  for (const [name, value] of Object.entries(policy)) {
    if (typeof value !== 'number' || !(value > 0)) {
      throw new BorealisError(
        'BAD_NOTIFY_OPTIONS',
        `notifier option ${name} must be a positive number, not ${String(value)}`,
      );
    }
  }
  if (!Number.isInteger(policy.maxAttempts) || !Number.isInteger(policy.queueLimit) || policy.burst < 1) {
    throw new BorealisError(
      'BAD_NOTIFY_OPTIONS',
      'maxAttempts and queueLimit must be integers, burst at least 1',
    );
  }
  return policy;
}
