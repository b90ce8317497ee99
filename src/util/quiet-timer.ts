/**
 * Calls back once a burst of events has been quiet for `quietMs`. One timer for the whole
 * burst: re-adopting 100,000 tasks sends as many events, and re-arming a timer per event
 * would cost more than the work it defers.
 */
export class QuietTimer {
  private lastAt = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly quietMs: number,
    private readonly onQuiet: () => void,
    private readonly now: () => number = Date.now,
  ) {}

  /** Something happened: the callback waits until `quietMs` pass without another call. */
  poke(): void {
    this.lastAt = this.now();
    if (!this.timer) this.arm(this.quietMs);
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private arm(ms: number): void {
    this.timer = setTimeout(() => {
      const quietFor = this.now() - this.lastAt;
      if (quietFor < this.quietMs) return this.arm(this.quietMs - quietFor);
      this.timer = undefined;
      this.onQuiet();
    }, ms);
    this.timer.unref();
  }
}
