/**
 * A token bucket: `burst` messages may go at once, then one per `1/ratePerSecond` s. Chat
 * services throttle incoming webhooks (Slack allows about one message a second), and a
 * flapping job must not turn into a 429 storm that delays the messages that matter.
 */
export class TokenBucket {
  private tokens: number;
  private updatedAt: number;

  constructor(
    private readonly ratePerSecond: number,
    private readonly burst: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.tokens = burst;
    this.updatedAt = now();
  }

  /**
   * Takes a token, possibly one that has not refilled yet, and says how many ms to wait
   * before using it. One consumer per bucket takes tokens in turn, so a reservation is
   * never overtaken.
   */
  reserve(): number {
    const now = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.updatedAt) * this.ratePerSecond) / 1000);
    this.updatedAt = now;
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : (-this.tokens / this.ratePerSecond) * 1000;
  }
}
