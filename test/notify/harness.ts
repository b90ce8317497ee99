/** Receivers and notifiers that close themselves when the test ends, and a recorder of a notifier's hooks. */
import type { TestContext } from 'node:test';
import type { SinkConfig, SinkKind } from '../../src/notify/config.js';
import {
  createNotifier,
  type DeliveryResult,
  type Notifier,
  type NotifierOptions,
} from '../../src/notify/index.js';
import { ChatReceiver, type ScriptedAnswer } from '../support/chat-receiver.js';
import { withTimeout } from '../support/waiting.js';

/** Fast enough for tests, slow enough that a wait which did not happen shows. */
export const QUICK: NotifierOptions = { backoffInitialMs: 50, ratePerSecond: 1000, burst: 100 };

export async function receiver(
  t: TestContext,
  script: ScriptedAnswer[] = [],
  otherwise: ScriptedAnswer = {},
): Promise<ChatReceiver> {
  const started = await ChatReceiver.start(script, otherwise);
  t.after(() => started.close());
  return started;
}

export function sinkAt(
  target: ChatReceiver | string,
  kind: SinkKind = 'webhook',
  secret?: string,
): SinkConfig {
  const url = typeof target === 'string' ? target : target.url;
  return { kind, url, name: `${kind}(${new URL(url).host})`, ...(secret === undefined ? {} : { secret }) };
}

export interface Notifying {
  notifier: Notifier;
  recorder: Recorder;
}

export function notifierFor(t: TestContext, sinks: SinkConfig[], options: NotifierOptions = {}): Notifying {
  const recorder = new Recorder();
  const notifier = createNotifier(sinks, {
    ...QUICK,
    log: recorder.log,
    onResult: recorder.onResult,
    ...options,
  });
  t.after(() => notifier.close({ timeoutMs: 0 }));
  return { notifier, recorder };
}

interface ResultWaiter {
  matches: () => boolean;
  resolve: () => void;
}

/** The notifier's `log` and `onResult` hooks, recorded, with a way to await a result. */
export class Recorder {
  readonly lines: string[] = [];
  readonly results: { sink: string; result: DeliveryResult }[] = [];
  private readonly waiters = new Set<ResultWaiter>();

  readonly log = (line: string): void => void this.lines.push(line);

  readonly onResult = (sink: string, result: DeliveryResult): void => {
    this.results.push({ sink, result });
    for (const waiter of [...this.waiters]) {
      if (waiter.matches()) {
        this.waiters.delete(waiter);
        waiter.resolve();
      }
    }
  };

  count(result: DeliveryResult, sink?: string): number {
    return this.results.filter((r) => r.result === result && (sink === undefined || r.sink === sink)).length;
  }

  /** Resolves once `count` results of the kind were reported (past ones included). */
  async waitFor(result: DeliveryResult, count = 1, ms = 5000, sink?: string): Promise<void> {
    const matches = (): boolean => this.count(result, sink) >= count;
    if (matches()) return;
    const reached = new Promise<void>((resolve) => this.waiters.add({ matches, resolve }));
    await withTimeout(reached, ms, () => `${count} × ${result} (results: ${JSON.stringify(this.results)})`);
  }
}
