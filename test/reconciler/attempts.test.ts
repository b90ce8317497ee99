/** What a deployment record left open by another process says: resume it, or fail the commit. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BorealisError } from '../../src/errors.js';
import { CRASHED_RESUMES, isOperational, judgeAttempt } from '../../src/reconciler/attempts.js';
import type { DeploymentAttempt } from '../../src/state/deployments.js';

const SELF = 'this-process';
const attempt = (
  phase: DeploymentAttempt['phase'],
  crashes: number,
  process = 'dead-process',
): DeploymentAttempt => ({
  phase,
  since: '2026-01-01T00:00:00.000Z',
  crashes,
  process,
});

describe('judgeAttempt', () => {
  const cases: {
    name: string;
    attempt?: DeploymentAttempt;
    retry?: boolean;
    fail: boolean;
    crashes: number;
  }[] = [
    { name: 'a new commit', fail: false, crashes: 0 },
    { name: 'a record stopped in an orderly way (no marker)', attempt: undefined, fail: false, crashes: 0 },
    {
      name: "this process's own attempt (an operational error)",
      attempt: attempt('planning', 0, SELF),
      fail: false,
      crashes: 0,
    },
    { name: 'a process that died planning it', attempt: attempt('planning', 0), fail: true, crashes: 1 },
    { name: 'a process that died applying it', attempt: attempt('applying', 0), fail: false, crashes: 1 },
    {
      name: `the ${CRASHED_RESUMES}th death while applying`,
      attempt: attempt('applying', CRASHED_RESUMES - 1),
      fail: false,
      crashes: CRASHED_RESUMES,
    },
    {
      name: 'one death more while applying',
      attempt: attempt('applying', CRASHED_RESUMES),
      fail: true,
      crashes: CRASHED_RESUMES + 1,
    },
    {
      name: 'a death while planning, retried by an operator',
      attempt: attempt('planning', 0),
      retry: true,
      fail: false,
      crashes: 1,
    },
  ];
  for (const c of cases) {
    it(`${c.fail ? 'fails' : 'goes on with'} ${c.name}`, () => {
      const verdict = judgeAttempt(c.attempt, SELF, c.retry ?? false);
      assert.deepEqual([verdict.fail, verdict.crashes], [c.fail, c.crashes]);
    });
  }
});

describe('isOperational', () => {
  const enospc = Object.assign(new Error('no space left on device'), { code: 'ENOSPC' });
  const cases: [string, unknown, boolean][] = [
    ['a BorealisError', new BorealisError('ZK_UNREACHABLE', 'gone'), true],
    ['a system error', enospc, true],
    ['an invalid array length', new RangeError('Invalid array length'), false],
    ['a type error', new TypeError("Cannot read properties of undefined (reading 'x')"), false],
    ['a thrown string', 'boom', false],
  ];
  for (const [name, error, operational] of cases)
    it(`${name} is ${operational ? 'operational' : 'internal'}`, () =>
      assert.equal(isOperational(error), operational));
});
