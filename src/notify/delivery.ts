/**
 * One sink's delivery: a bounded FIFO worked off by a single loop, so messages arrive in the
 * order they happened ("started" before "succeeded") and a sink that is slow or down holds
 * up nothing but its own queue. Each message is tried until it is accepted, refused for good
 * or out of attempts; waits (rate limit, back-off) never keep the process alive on their own.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { attempt, type AttemptTarget } from './attempt.js';
import type { SinkConfig, SinkKind } from './config.js';
import type { NotificationEvent } from './events.js';
import type { PreparedRequest, SinkProtocol } from './protocol.js';
import { TokenBucket } from './rate-limit.js';
import { retryDelay, type RetryPolicy } from './retry.js';
import { ThrottledLog } from './throttled-log.js';

export interface DeliveryPolicy extends RetryPolicy {
  /** Messages waiting per sink; beyond it the oldest is dropped. */
  queueLimit: number;
  ratePerSecond: number;
  burst: number;
  requestTimeoutMs: number;
  /** A failing sink is logged at most once per interval. */
  failureLogIntervalMs: number;
}

export const DEFAULT_DELIVERY_POLICY: Readonly<DeliveryPolicy> = {
  queueLimit: 1000,
  ratePerSecond: 1,
  burst: 5,
  requestTimeoutMs: 10_000,
  maxAttempts: 6,
  backoffInitialMs: 1_000,
  backoffMaxMs: 60_000,
  retryAfterMaxMs: 5 * 60_000,
  failureLogIntervalMs: 5 * 60_000,
};

export type DeliveryResult = 'sent' | 'retried' | 'failed' | 'dropped';

export interface SinkStats {
  sink: string;
  kind: SinkKind;
  /** Waiting now, the message in flight not included. */
  queued: number;
  sent: number;
  /** Attempts repeated after a retryable failure. */
  retried: number;
  failed: number;
  dropped: number;
  /** Failed attempts since the last accepted one. */
  consecutiveFailures: number;
  lastError: string | undefined;
  /** Epoch ms. */
  lastSuccessAt: number | undefined;
}

export interface DeliveryHooks {
  log: (line: string) => void;
  onResult: (result: DeliveryResult) => void;
}

export class SinkDelivery {
  private readonly queue: PreparedRequest[] = [];
  private readonly bucket: TokenBucket;
  private readonly stop = new AbortController();
  private readonly failures: ThrottledLog;
  private readonly target: AttemptTarget;
  private readonly counts: Record<DeliveryResult, number> = { sent: 0, retried: 0, failed: 0, dropped: 0 };
  private running = false;
  private idleWaiters: (() => void)[] = [];
  private overflowDrops = 0;
  private consecutiveFailures = 0;
  private failureLoggedSinceSuccess = false;
  private lastError: string | undefined;
  private lastSuccessAt: number | undefined;

  constructor(
    readonly config: SinkConfig,
    private readonly protocol: SinkProtocol,
    private readonly policy: DeliveryPolicy,
    private readonly hooks: DeliveryHooks,
  ) {
    this.bucket = new TokenBucket(policy.ratePerSecond, policy.burst);
    this.failures = new ThrottledLog((line) => this.log(line), policy.failureLogIntervalMs);
    this.target = {
      url: config.url,
      accepts: (status) => protocol.accepts(status),
      timeoutMs: policy.requestTimeoutMs,
    };
  }

  enqueue(event: NotificationEvent): void {
    if (this.stop.signal.aborted) return this.count('dropped');
    let request: PreparedRequest;
    try {
      request = this.protocol.prepare(event, this.config);
    } catch (error) {
      return this.messageFailed(
        `could not build the message: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    if (this.queue.length >= this.policy.queueLimit) this.dropOldest();
    this.queue.push(request);
    if (!this.running) void this.run();
  }

  /** Refuses a message without queueing it (the notifier is closing). */
  discard(): void {
    this.count('dropped');
  }

  /** Resolves once the queue is empty and nothing is in flight. */
  idle(): Promise<void> {
    if (!this.running) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Stops at once: the request in flight is cut off and what waits is dropped. */
  abort(): void {
    const undelivered = this.queue.length + (this.running ? 1 : 0);
    if (undelivered > 0) this.log(`closing: ${undelivered} undelivered messages dropped`);
    for (const _ of this.queue.splice(0)) this.count('dropped');
    this.stop.abort();
  }

  stats(): SinkStats {
    return {
      sink: this.config.name,
      kind: this.config.kind,
      queued: this.queue.length,
      ...this.counts,
      consecutiveFailures: this.consecutiveFailures,
      lastError: this.lastError,
      lastSuccessAt: this.lastSuccessAt,
    };
  }

  private async run(): Promise<void> {
    this.running = true;
    try {
      for (let next = this.queue.shift(); next !== undefined; next = this.queue.shift()) {
        await this.deliver(next);
      }
    } catch (error) {
      this.log(
        `delivery stopped by a bug: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
      );
    } finally {
      this.running = false;
      this.endOverflow();
      for (const resolve of this.idleWaiters.splice(0)) resolve();
    }
  }

  private async deliver(request: PreparedRequest): Promise<void> {
    for (let attemptNo = 1; ; attemptNo += 1) {
      if (!(await this.pause(this.bucket.reserve()))) return this.count('dropped');
      const outcome = await attempt(this.target, request, this.stop.signal);
      if (outcome.kind === 'accepted') return this.delivered();
      if (outcome.kind === 'aborted') return this.count('dropped');
      this.consecutiveFailures += 1;
      this.lastError = outcome.error;
      if (outcome.kind === 'refused' || attemptNo >= this.policy.maxAttempts) {
        const why =
          outcome.kind === 'refused' ? 'refused, not retried' : `failed after ${attemptNo} attempts`;
        return this.messageFailed(`message ${why}: ${outcome.error}`);
      }
      const delay = retryDelay(attemptNo, outcome.retryAfterMs, this.policy);
      this.count('retried');
      if (!(await this.pause(delay))) return this.count('dropped');
    }
  }

  /** False when the notifier closed meanwhile. Unreferenced, so a pending retry never keeps the process alive. */
  private async pause(ms: number): Promise<boolean> {
    if (this.stop.signal.aborted) return false;
    if (ms <= 0) return true;
    try {
      await sleep(ms, undefined, { signal: this.stop.signal, ref: false });
      return true;
    } catch {
      return false;
    }
  }

  private delivered(): void {
    if (this.failureLoggedSinceSuccess) {
      this.log(`delivering again after ${this.consecutiveFailures} failed attempts`);
    }
    this.consecutiveFailures = 0;
    this.failureLoggedSinceSuccess = false;
    this.lastSuccessAt = Date.now();
    this.count('sent');
  }

  /** Only lost messages are logged: a retry that succeeds is the normal course under rate limits. */
  private messageFailed(line: string): void {
    if (this.failures.report(line)) this.failureLoggedSinceSuccess = true;
    this.count('failed');
  }

  private dropOldest(): void {
    this.queue.shift();
    this.count('dropped');
    if (this.overflowDrops++ === 0) {
      this.log(
        `queue full (${this.policy.queueLimit} messages waiting): dropping the oldest until it drains`,
      );
    }
  }

  private endOverflow(): void {
    if (this.overflowDrops === 0) return;
    this.log(`queue drained; ${this.overflowDrops} messages were dropped while it was full`);
    this.overflowDrops = 0;
  }

  private count(result: DeliveryResult): void {
    this.counts[result] += 1;
    this.hooks.onResult(result);
  }

  private log(line: string): void {
    this.hooks.log(`notify ${this.config.name}: ${line}`);
  }
}
