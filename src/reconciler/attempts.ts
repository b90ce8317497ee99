/**
 * What a deployment record left open says about the reconciler that left it. A process
 * that dies (SIGKILL, out of memory, an abort in the runtime) cannot record anything, so
 * each phase is written on the record before it starts, with the writing process's id;
 * the next reconciler that finds the marker of another process knows it died there.
 * Planning is a function of the commit and the cluster: a reconciler that died planning a
 * commit would die again, so that commit is failed at once instead of retried for ever.
 * A rollout is built to resume after a crash, so applying is resumed a few times first.
 */
import { randomUUID } from 'node:crypto';
import { BorealisError } from '../errors.js';
import type { DeploymentAttempt } from '../state/deployments.js';

/** Identifies this process on the records it marks. */
export const THIS_PROCESS = randomUUID();

/** A commit whose rollout outlived this many reconcilers that died applying it is failed. */
export const CRASHED_RESUMES = 3;

export type AttemptVerdict =
  { fail: false; crashes: number } | { fail: true; crashes: number; phase: DeploymentAttempt['phase'] };

/**
 * Whether to go on with a commit whose record carries `attempt`. `retry`: an operator asked
 * for this commit explicitly (`borealis reconcile`), which tries it again whatever happened.
 */
export function judgeAttempt(
  attempt: DeploymentAttempt | undefined,
  self: string,
  retry: boolean,
): AttemptVerdict {
  if (!attempt) return { fail: false, crashes: 0 };
  if (attempt.process === self) return { fail: false, crashes: attempt.crashes };
  const crashes = attempt.crashes + 1;
  const fail = !retry && (attempt.phase === 'planning' || crashes > CRASHED_RESUMES);
  return fail ? { fail, crashes, phase: attempt.phase } : { fail, crashes };
}

/**
 * An error the environment caused (a store or cluster out of reach, a full disk): the commit
 * is not at fault and is tried again on the next pass. Anything else is an internal error
 * the commit brought about, and trying it again would fail the same way.
 */
export function isOperational(error: unknown): boolean {
  if (error instanceof BorealisError) return true;
  const code = error instanceof Error ? (error as NodeJS.ErrnoException).code : undefined;
  return typeof code === 'string' && /^E[A-Z]+$/.test(code);
}
