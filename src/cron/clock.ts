/**
 * The time the cron scheduler lives by, injected so that tests of ticks, collisions and
 * failover run in milliseconds of real time and exactly (test/support/manual-clock.ts).
 */
export interface Clock {
  now(): number;
  /** Calls `fire` once, at or after `at` (epoch ms); returns the cancel function. */
  timer(at: number, fire: () => void): () => void;
}

/** setTimeout waits at most 2^31-1 ms (24.8 days); a longer wait is taken in steps. */
const LONGEST_TIMEOUT_MS = 2 ** 31 - 1;

export const systemClock: Clock = {
  now: () => Date.now(),
  timer(at, fire) {
    let handle: NodeJS.Timeout;
    const arm = () => {
      const wait = at - Date.now();
      handle = setTimeout(
        wait > LONGEST_TIMEOUT_MS ? arm : fire,
        Math.min(Math.max(wait, 0), LONGEST_TIMEOUT_MS),
      );
      handle.unref();
    };
    arm();
    return () => clearTimeout(handle);
  },
};
