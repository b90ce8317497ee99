/** Aurora's health-check accounting, fed sequences of check results. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  deadlineExceeded,
  expireDeadline,
  forgivingAttempts,
  INITIAL_HEALTH,
  maxAttemptsToRunning,
  recordCheck,
  type HealthPolicy,
  type HealthVerdict,
} from '../../../src/cluster/local/health-policy.js';

const policy = (overrides: Partial<HealthPolicy> = {}): HealthPolicy => ({
  initial_interval_secs: 15,
  interval_secs: 10,
  max_consecutive_failures: 0,
  min_consecutive_successes: 1,
  ...overrides,
});

/** Runs the checks as the monitor does and returns the verdict after each one. */
function verdicts(p: HealthPolicy, results: string): HealthVerdict[] {
  let state = INITIAL_HEALTH;
  const seen: HealthVerdict[] = [];
  for (const symbol of results) {
    state = deadlineExceeded(p, state)
      ? expireDeadline(state)
      : recordCheck(p, state, { passed: symbol === '+' });
    seen.push(state.verdict);
  }
  return seen;
}

const S = 'starting';
const H = 'healthy';
const F = 'failed';

describe('health policy', () => {
  it('counts the grace period in attempts, rounding up', () => {
    assert.equal(forgivingAttempts(policy()), 2);
    assert.equal(forgivingAttempts(policy({ initial_interval_secs: 10 })), 1);
    assert.equal(forgivingAttempts(policy({ initial_interval_secs: 0 })), 0);
    assert.equal(
      maxAttemptsToRunning(policy({ max_consecutive_failures: 2, min_consecutive_successes: 3 })),
      7,
    );
  });

  const cases: { name: string; policy: Partial<HealthPolicy>; results: string; expected: HealthVerdict[] }[] =
    [
      { name: 'one pass is enough by default', policy: {}, results: '+', expected: [H] },
      { name: 'failures in the grace period are ignored', policy: {}, results: '--+', expected: [S, S, H] },
      {
        name: 'the first counted failure fails with max_consecutive_failures 0',
        policy: {},
        results: '---',
        expected: [S, S, F],
      },
      {
        name: 'no grace period: the first failure fails',
        policy: { initial_interval_secs: 0 },
        results: '-',
        expected: [F],
      },
      {
        name: 'min_consecutive_successes needs consecutive passes',
        policy: { min_consecutive_successes: 2 },
        results: '+-++',
        expected: [S, S, S, H],
      },
      {
        name: 'max_consecutive_failures tolerates that many in a row',
        policy: { max_consecutive_failures: 2 },
        results: '--+---',
        expected: [S, S, H, H, H, F],
      },
      {
        name: 'a pass resets the failure count',
        policy: { initial_interval_secs: 0, max_consecutive_failures: 1 },
        results: '+-+-+',
        expected: [H, H, H, H, H],
      },
      {
        name: 'a healthy task fails on a counted failure',
        policy: { initial_interval_secs: 0 },
        results: '++-',
        expected: [H, H, F],
      },
      {
        name: 'a failed verdict is final',
        policy: { initial_interval_secs: 0 },
        results: '-++',
        expected: [F, F, F],
      },
      {
        name: 'fails fast when too few attempts remain to reach the successes needed',
        policy: { initial_interval_secs: 0, max_consecutive_failures: 2, min_consecutive_successes: 3 },
        results: '++-',
        expected: [S, S, F],
      },
      {
        name: 'flapping without reaching the threshold runs out of attempts',
        policy: { initial_interval_secs: 0, max_consecutive_failures: 1, min_consecutive_successes: 2 },
        results: '+-+-+',
        expected: [S, S, S, S, F],
      },
    ];
  for (const c of cases) {
    it(c.name, () => {
      assert.deepEqual(verdicts(policy(c.policy), c.results), c.expected);
    });
  }
});
