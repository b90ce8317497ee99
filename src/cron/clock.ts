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

/**
 * A test seam, inert unless BOREALIS_CRON_CLOCK_OFFSET_MS is set: the scheduler's clock runs
 * that far ahead, so a test of real `watch` processes reaches a minute boundary in seconds
 * instead of waiting for one. Nothing else sets this variable.
 */
export const CLOCK_OFFSET_ENV = 'BOREALIS_CRON_CLOCK_OFFSET_MS';

export function clockFromEnvironment(env: NodeJS.ProcessEnv = process.env): Clock {
  const offset = Number(env[CLOCK_OFFSET_ENV] ?? 0);
  if (!Number.isFinite(offset) || offset === 0) return systemClock;
  return {
    now: () => Date.now() + offset,
    timer: (at, fire) => systemClock.timer(at - offset, fire),
  };
}
