/**
 * The deliveries accepted within a time window (default 24 h), to refuse one that is sent
 * again: a delivery is a replay when its normalised id or the digest of its body was seen
 * (a replayed body under a fresh id is still a replay). Only verified deliveries are
 * recorded (the routes' job), so an unauthenticated caller can neither fill it nor block
 * a genuine delivery.
 *
 * Bounded by time, not by count: entries leave only when the window has passed, so no
 * number of other deliveries can flush one out early. The capacity bounds memory (and the
 * journal on disk); when it is reached within the window, new deliveries are refused
 * (`full`) until the oldest expires, rather than forgetting a delivery that could then be
 * replayed. The daemon still polls, so a refused push is picked up at the next poll.
 */
import { DEFAULT_REPLAY_WINDOW_SECS } from './limits.js';

export interface Delivery {
  provider: string;
  /** Normalised (see `normaliseDeliveryId`). */
  id: string;
  /** sha256 of the raw body, hex. */
  digest: string;
  /** When it was accepted (ms since the epoch). */
  at: number;
}

export type Claim =
  | { kind: 'new'; delivery: Delivery }
  | { kind: 'replay'; matched: 'id' | 'body'; first: Delivery }
  | { kind: 'full'; retryAfterMs: number };

export const DEFAULT_REPLAY_WINDOW_MS = DEFAULT_REPLAY_WINDOW_SECS * 1000;
/** Room for a steady stream of deliveries across the default window (when full: docs/performance.md). */
export const DEFAULT_REPLAY_CAPACITY = 50_000;

export class ReplayWindow {
  /** Oldest first: `at` only grows (a clock step backwards is clamped), so expiry pops the front. */
  private readonly order: Delivery[] = [];
  private head = 0;
  private readonly byKey = new Map<string, Delivery>();
  private live = 0;

  constructor(
    readonly windowMs = DEFAULT_REPLAY_WINDOW_MS,
    readonly capacity = DEFAULT_REPLAY_CAPACITY,
    private readonly now: () => number = Date.now,
  ) {
    if (!(windowMs > 0) || !Number.isFinite(windowMs)) {
      throw new RangeError(`replay window must be a positive number of milliseconds, got ${windowMs}`);
    }
    if (!Number.isSafeInteger(capacity) || capacity < 1) {
      throw new RangeError(`replay capacity must be a positive integer, got ${capacity}`);
    }
  }

  /**
   * Records a delivery and returns `new`, or says why it is refused. Check and record are
   * one synchronous step, so two concurrent copies of one delivery cannot both pass.
   */
  claim(provider: string, id: string, digest: string): Claim {
    const at = this.expire();
    const seen = this.byKey.get(idKey(provider, id)) ?? this.byKey.get(bodyKey(provider, digest));
    if (seen) return { kind: 'replay', matched: seen.id === id ? 'id' : 'body', first: seen };
    if (this.live >= this.capacity) {
      const oldest = this.oldest();
      return { kind: 'full', retryAfterMs: oldest ? oldest.at + this.windowMs - at : this.windowMs };
    }
    const delivery = { provider, id, digest, at };
    this.add(delivery);
    return { kind: 'new', delivery };
  }

  /** Loads a delivery remembered before a restart; returns false when it is out of the window. */
  restore(delivery: Delivery): boolean {
    if (delivery.at + this.windowMs <= this.now() || this.live >= this.capacity) return false;
    if (this.byKey.has(idKey(delivery.provider, delivery.id))) return false;
    const last = this.order[this.order.length - 1];
    this.add(last && last.at > delivery.at ? { ...delivery, at: last.at } : delivery);
    return true;
  }

  /** Undoes `claim` when the delivery could not be handed on, so the sender's retry is accepted. */
  forget(delivery: Delivery): void {
    if (this.deleteKeys(delivery)) this.live -= 1;
  }

  get size(): number {
    return this.live;
  }

  /** The deliveries in the window, oldest first (what a compacted journal holds). */
  entries(): Delivery[] {
    this.expire();
    return this.order.slice(this.head).filter((d) => this.byKey.get(idKey(d.provider, d.id)) === d);
  }

  private add(delivery: Delivery): void {
    this.order.push(delivery);
    this.byKey.set(idKey(delivery.provider, delivery.id), delivery);
    this.byKey.set(bodyKey(delivery.provider, delivery.digest), delivery);
    this.live += 1;
  }

  /** Drops what left the window; returns the current time, never before the newest entry. */
  private expire(): number {
    const last = this.order[this.order.length - 1];
    const at = Math.max(this.now(), last?.at ?? 0);
    while (this.head < this.order.length && this.order[this.head]!.at + this.windowMs <= at) {
      this.forget(this.order[this.head]!);
      this.head += 1;
    }
    // Reclaim the array's dead front now and then, not on every expiry.
    if (this.head > 1024 && this.head * 2 > this.order.length) {
      this.order.splice(0, this.head);
      this.head = 0;
    }
    return at;
  }

  private oldest(): Delivery | undefined {
    for (let i = this.head; i < this.order.length; i += 1) {
      const delivery = this.order[i]!;
      if (this.byKey.get(idKey(delivery.provider, delivery.id)) === delivery) return delivery;
    }
    return undefined;
  }

  /** True when `delivery` was live (its keys pointed at it). */
  private deleteKeys(delivery: Delivery): boolean {
    const id = idKey(delivery.provider, delivery.id);
    if (this.byKey.get(id) !== delivery) return false;
    this.byKey.delete(id);
    const body = bodyKey(delivery.provider, delivery.digest);
    if (this.byKey.get(body) === delivery) this.byKey.delete(body);
    return true;
  }
}

function idKey(provider: string, id: string): string {
  return `id:${provider}:${id}`;
}

function bodyKey(provider: string, digest: string): string {
  return `body:${provider}:${digest}`;
}
