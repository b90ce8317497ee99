/**
 * At most one line per interval: a sink that is down fails every message, and an operator
 * needs to know that it is failing and how often, not each failure.
 */
export class ThrottledLog {
  private lastAt = Number.NEGATIVE_INFINITY;
  private suppressed = 0;

  constructor(
    private readonly log: (line: string) => void,
    private readonly intervalMs: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Logs `line` or counts it; true when it was logged. */
  report(line: string): boolean {
    const now = this.now();
    if (now - this.lastAt < this.intervalMs) {
      this.suppressed += 1;
      return false;
    }
    const since = this.suppressed === 0 ? '' : ` (${this.suppressed} more failures since the last report)`;
    this.log(`${line}${since}`);
    this.lastAt = now;
    this.suppressed = 0;
    return true;
  }
}
