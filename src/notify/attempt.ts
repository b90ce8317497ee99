/**
 * One HTTP attempt and what it means for the message: delivered, worth another try, refused
 * for good, or cut off because the notifier is closing.
 */
import type { PreparedRequest } from './protocol.js';
import { parseRetryAfter } from './retry.js';

export type AttemptOutcome =
  | { kind: 'accepted' }
  | { kind: 'retryable'; error: string; retryAfterMs: number | undefined }
  | { kind: 'refused'; error: string }
  | { kind: 'aborted' };

export interface AttemptTarget {
  url: string;
  accepts: (status: number) => boolean;
  timeoutMs: number;
}

/** Enough of an error body to say what is wrong (`invalid_payload`, `no_text`); bodies are not trusted to be small. */
const MAX_ERROR_BODY = 200;

export async function attempt(
  target: AttemptTarget,
  request: PreparedRequest,
  stop: AbortSignal,
): Promise<AttemptOutcome> {
  const timeout = AbortSignal.timeout(target.timeoutMs);
  try {
    const response = await fetch(target.url, {
      method: 'POST',
      headers: request.headers(Date.now()),
      body: request.body,
      signal: AbortSignal.any([stop, timeout]),
      // A redirect would resend a signed body to wherever the Location points.
      redirect: 'manual',
    });
    // The status is the answer; a body cut short does not change it.
    const text = await readClipped(response, MAX_ERROR_BODY).catch(() => '');
    return target.accepts(response.status) ? { kind: 'accepted' } : failureOf(response, text);
  } catch (error) {
    if (stop.aborted) return { kind: 'aborted' };
    if (timeout.aborted) {
      return { kind: 'retryable', error: `timed out after ${target.timeoutMs} ms`, retryAfterMs: undefined };
    }
    return { kind: 'retryable', error: networkError(error), retryAfterMs: undefined };
  }
}

function failureOf(response: Response, body: string): AttemptOutcome {
  const { status } = response;
  const error = `HTTP ${status}${body === '' ? '' : `: ${body}`}`;
  if (status === 429 || status >= 500) {
    return {
      kind: 'retryable',
      error,
      retryAfterMs: parseRetryAfter(response.headers.get('retry-after'), Date.now()),
    };
  }
  if (status >= 300 && status < 400) {
    return { kind: 'refused', error: `${error} (a redirect, not followed: configure the URL it points to)` };
  }
  return { kind: 'refused', error };
}

/** The cause names the failing step (`connect ECONNREFUSED 10.0.0.1:443`) without the URL's secret path. */
function networkError(error: unknown): string {
  const cause = error instanceof Error ? error.cause : undefined;
  if (cause instanceof Error && cause.message !== '') return `request failed: ${cause.message}`;
  return `request failed: ${error instanceof Error ? error.message : String(error)}`;
}

async function readClipped(response: Response, max: number): Promise<string> {
  if (response.body === null) return '';
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  while (size < max) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    size += value.byteLength;
  }
  await reader.cancel().catch(() => undefined);
  const text = Buffer.concat(chunks).toString('utf8').replace(/\s+/g, ' ').trim();
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
