/**
 * A clock tests move by hand: `advance` sets the time and fires every timer due by then,
 * in order, so a scheduler's minutes pass in microseconds and exactly.
 */
import type { Clock } from '../../src/cron/clock.js';

interface Timer {
  at: number;
  fire: () => void;
}

export class ManualClock implements Clock {
  private timers = new Set<Timer>();

  constructor(private time: number) {}

  now(): number {
    return this.time;
  }

  timer(at: number, fire: () => void): () => void {
    const timer = { at, fire };
    this.timers.add(timer);
    return () => this.timers.delete(timer);
  }

  /** Moves to `to` (epoch ms), firing the timers due on the way. */
  set(to: number): void {
    if (to < this.time) throw new Error('a clock does not go back');
    this.time = to;
    for (const timer of [...this.timers].sort((a, b) => a.at - b.at)) {
      if (timer.at > to) break;
      this.timers.delete(timer);
      timer.fire();
    }
  }

  advance(ms: number): void {
    this.set(this.time + ms);
  }

  /** The earliest armed timer, for tests that assert when something will wake. */
  nextTimer(): number | undefined {
    const ats = [...this.timers].map((timer) => timer.at);
    return ats.length === 0 ? undefined : Math.min(...ats);
  }
}
