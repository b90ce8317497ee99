/**
 * The delivery ids seen recently, to refuse a delivery that is sent again. Bounded: when
 * full it forgets the least recently seen id, so memory stays constant whatever arrives.
 * Only verified deliveries are recorded (the routes' job), so an unauthenticated caller
 * can neither fill it nor block a future genuine delivery id.
 */
export class ReplayCache {
  /** A Set iterates in insertion order: the first entry is the least recently seen. */
  private readonly seen = new Set<string>();

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`replay cache size must be a positive integer, got ${capacity}`);
    }
  }

  /**
   * Records `key` and returns true, or returns false when it was already recorded (a replay).
   * Check and record are one synchronous step, so two concurrent copies of one delivery
   * cannot both pass.
   */
  remember(key: string): boolean {
    if (this.seen.has(key)) {
      this.touch(key);
      return false;
    }
    this.seen.add(key);
    if (this.seen.size > this.capacity) this.evictOldest();
    return true;
  }

  /** Undoes `remember` when the delivery could not be handed on, so the sender's retry is accepted. */
  forget(key: string): void {
    this.seen.delete(key);
  }

  get size(): number {
    return this.seen.size;
  }

  private touch(key: string): void {
    this.seen.delete(key);
    this.seen.add(key);
  }

  private evictOldest(): void {
    const oldest = this.seen.values().next();
    if (!oldest.done) this.seen.delete(oldest.value);
  }
}
