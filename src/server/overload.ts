/**
 * What the server refuses to protect itself, counted every time and logged at a bounded
 * rate: a flood of refusals must not become a flood of log lines. Each reason logs its
 * first few refusals in an interval as they happen; the rest of the interval is summed up
 * in one line when it ends.
 */
import type { Log, LogFields, LogLevel } from '../util/log.js';

export type RefusalReason =
  /** Every connection slot is busy with a request; the new connection is closed. */
  | 'connection_limit'
  /** One client address holds its maximum of connections; the new one is closed. */
  | 'client_connection_limit'
  /** An idle connection of the busiest client is closed to make room for a new one. */
  | 'idle_connection_evicted'
  /** A connection sent no complete request headers in time (slowloris, or idle). */
  | 'headers_timeout'
  /** A request (headers and body) took longer than the request timeout: 408. */
  | 'request_timeout'
  /** Request headers over the size limit: 431. */
  | 'header_too_large'
  /** Not HTTP the parser accepts: 400. */
  | 'malformed_request'
  /** A webhook delivery seen before (same id or same body) within the window: 409. */
  | 'replay'
  /** A webhook without the delivery id its sender always sends: 400. */
  | 'missing_delivery_id'
  /** The replay window holds its maximum of deliveries: 503. */
  | 'replay_window_full';

export const OVERLOAD_LOG_INTERVAL_MS = 10_000;
/** Refusals of one reason logged one by one per interval, before they are only summed up. */
export const OVERLOAD_LOG_BURST = 3;

export type RefusalCounter = (reason: RefusalReason) => void;

export class OverloadReporter {
  private readonly logged = new Map<string, number>();
  private readonly suppressed = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly log: Log,
    private readonly count: RefusalCounter = () => {},
    private readonly intervalMs = OVERLOAD_LOG_INTERVAL_MS,
  ) {}

  /** Counts a refusal and logs it (rate-limited). */
  refused(reason: RefusalReason, detail: string): void {
    this.count(reason);
    this.logLimited(`http refused (${reason})`, `http refused (${reason}): ${detail}`, { refusal: reason });
  }

  /** Counts a refusal that is logged elsewhere (the webhook decision line). */
  counted(reason: RefusalReason): void {
    this.count(reason);
  }

  /**
   * Logs `msg`, or, past the burst of lines of this `kind` in this interval, only counts it
   * for the interval's summary line (`kind: N more …`).
   */
  logLimited(kind: string, msg: string, fields: LogFields = {}, level: LogLevel = 'warn'): void {
    this.timer ??= setTimeout(() => this.endInterval(), this.intervalMs).unref();
    const logged = this.logged.get(kind) ?? 0;
    if (logged < OVERLOAD_LOG_BURST) {
      this.logged.set(kind, logged + 1);
      this.log(msg, fields, level);
    } else {
      this.suppressed.set(kind, (this.suppressed.get(kind) ?? 0) + 1);
    }
  }

  /** Logs what is still unsummed and stops the timer. */
  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.endInterval();
  }

  private endInterval(): void {
    this.timer = undefined;
    const seconds = this.intervalMs / 1000;
    for (const [kind, count] of this.suppressed) {
      this.log(`${kind}: ${count} more in the last ${seconds} s (not logged one by one)`, { count }, 'warn');
    }
    this.logged.clear();
    this.suppressed.clear();
  }
}
