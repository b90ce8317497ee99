/**
 * Tests run on busy machines (CI runners with 2 shared cores, a suite run in parallel with
 * builds), so no test may depend on how fast the machine is. Where a test must still name
 * a duration, it is either a deadline that only bounds how long a broken test hangs, or a
 * budget a correct implementation stays far below; both are multiplied by
 * BOREALIS_TEST_TIME_SCALE (default 1), the one knob for a machine slower than any budget
 * here allows for.
 */
const DEFAULT_SCALE = 1;

function scaleFromEnvironment(): number {
  const text = process.env.BOREALIS_TEST_TIME_SCALE;
  if (text === undefined || text === '') return DEFAULT_SCALE;
  const scale = Number(text);
  if (!Number.isFinite(scale) || scale <= 0) {
    throw new Error(`BOREALIS_TEST_TIME_SCALE must be a positive number, not "${text}"`);
  }
  return scale;
}

export const TIME_SCALE = scaleFromEnvironment();

/**
 * No wait for an event gives up sooner than this: a deadline only decides how long a broken
 * test hangs before it fails, so it costs nothing to be generous, while a tight one fails
 * correct code whenever the machine is busy.
 */
const MIN_DEADLINE_MS = 30_000;

/** The deadline for a wait that should take about `ms` on a quiet machine. */
export function deadlineMs(ms: number): number {
  return Math.max(ms, MIN_DEADLINE_MS) * TIME_SCALE;
}

/**
 * A time budget for `ms` of work that a correct implementation does much faster, for the
 * few assertions that something took "not much longer" than it should.
 */
export function budgetMs(ms: number): number {
  return ms * TIME_SCALE;
}

/** `budgetMs` in seconds, for durations written into job specs. */
export function budgetSecs(secs: number): number {
  return secs * TIME_SCALE;
}
