/** How long to wait before the next attempt: the server's word when it gives one, else doubling back-off. */

export interface RetryPolicy {
  /** Attempts per message, the first included. */
  maxAttempts: number;
  backoffInitialMs: number;
  backoffMaxMs: number;
  /** A Retry-After beyond this is clipped, so one answer cannot park a sink for hours. */
  retryAfterMaxMs: number;
}

/** After the `failedAttempts`-th failure: 1 s, 2 s, 4 s … up to the cap. */
export function backoffDelay(failedAttempts: number, policy: RetryPolicy): number {
  return Math.min(policy.backoffInitialMs * 2 ** Math.max(0, failedAttempts - 1), policy.backoffMaxMs);
}

export function retryDelay(
  failedAttempts: number,
  retryAfterMs: number | undefined,
  policy: RetryPolicy,
): number {
  if (retryAfterMs !== undefined) return Math.min(retryAfterMs, policy.retryAfterMaxMs);
  return backoffDelay(failedAttempts, policy);
}

/**
 * `Retry-After` as milliseconds from `nowMs`: delta-seconds (`120`) or an HTTP-date
 * (`Wed, 21 Oct 2015 07:28:00 GMT`; one in the past means now). Anything else is ignored.
 */
export function parseRetryAfter(value: string | null | undefined, nowMs: number): number | undefined {
  const text = value?.trim() ?? '';
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  if (!/[a-z]/i.test(text)) return undefined;
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs);
}
