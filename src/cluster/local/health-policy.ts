/**
 * Aurora's health-check bookkeeping (executor/common/health_checker.py), as a pure state
 * machine over check results. Time is counted in attempts, not seconds, as Aurora does, so a
 * slow check never costs the task an attempt.
 */
import type { HealthCheckConfig } from '../../jobspec/types.js';

export type HealthPolicy = Pick<
  HealthCheckConfig,
  'initial_interval_secs' | 'interval_secs' | 'max_consecutive_failures' | 'min_consecutive_successes'
>;

export type HealthVerdict = 'starting' | 'healthy' | 'failed';

export interface HealthState {
  attempts: number;
  consecutiveFailures: number;
  consecutiveSuccesses: number;
  /** Reached `min_consecutive_successes` once; the task is RUNNING from then on. */
  running: boolean;
  verdict: HealthVerdict;
  reason?: string;
}

export const INITIAL_HEALTH: HealthState = {
  attempts: 0,
  consecutiveFailures: 0,
  consecutiveSuccesses: 0,
  running: false,
  verdict: 'starting',
};

/** Checks during the grace period whose failures are ignored. */
export function forgivingAttempts(policy: HealthPolicy): number {
  const interval = Math.max(policy.interval_secs, Number.MIN_VALUE);
  return Math.ceil(policy.initial_interval_secs / interval);
}

/** After this many attempts without becoming healthy, the task has run out of time. */
export function maxAttemptsToRunning(policy: HealthPolicy): number {
  return forgivingAttempts(policy) + policy.max_consecutive_failures + policy.min_consecutive_successes;
}

/** Aurora checks this before each probe; when true the task fails without probing again. */
export function deadlineExceeded(policy: HealthPolicy, state: HealthState): boolean {
  return !state.running && state.attempts > maxAttemptsToRunning(policy);
}

export function expireDeadline(state: HealthState): HealthState {
  return { ...state, verdict: 'failed', reason: 'Not enough successful health checks in time.' };
}

function failFast(policy: HealthPolicy, state: HealthState): boolean {
  if (state.running) return false;
  const attemptsRemaining = maxAttemptsToRunning(policy) - state.attempts;
  const successesNeeded = policy.min_consecutive_successes - state.consecutiveSuccesses;
  return attemptsRemaining > 1 && successesNeeded > attemptsRemaining;
}

function afterSuccess(policy: HealthPolicy, state: HealthState): HealthState {
  const consecutiveSuccesses = state.consecutiveSuccesses + 1;
  const running = state.running || consecutiveSuccesses >= policy.min_consecutive_successes;
  return {
    ...state,
    consecutiveSuccesses,
    consecutiveFailures: 0,
    running,
    verdict: running ? 'healthy' : 'starting',
  };
}

function afterFailure(policy: HealthPolicy, state: HealthState, reason: string): HealthState {
  const reset = { ...state, consecutiveSuccesses: 0 };
  if (state.attempts <= forgivingAttempts(policy)) return reset;
  const consecutiveFailures = state.consecutiveFailures + 1;
  const failed = failFast(policy, reset) || consecutiveFailures > policy.max_consecutive_failures;
  return failed
    ? { ...reset, consecutiveFailures, verdict: 'failed', reason }
    : { ...reset, consecutiveFailures };
}

/** Folds one probe result into the state. A failed verdict is final. */
export function recordCheck(
  policy: HealthPolicy,
  state: HealthState,
  result: { passed: boolean; reason?: string },
): HealthState {
  if (state.verdict === 'failed') return state;
  // Aurora stops counting attempts once past the deadline window; the count only gates it.
  const attempts = state.attempts <= maxAttemptsToRunning(policy) ? state.attempts + 1 : state.attempts;
  const counted = { ...state, attempts };
  return result.passed
    ? afterSuccess(policy, counted)
    : afterFailure(policy, counted, result.reason ?? 'health check failed');
}
