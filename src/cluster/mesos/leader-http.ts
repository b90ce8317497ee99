/**
 * JSON over HTTP to the leading Mesos master, shared by the scheduler and operator clients.
 * Both APIs want `Content-Type` exactly `application/json` (Mesos compares the string, so a
 * `; charset=utf-8` gets 415), and a master that is not the leader answers every call with a
 * 307 whose Location is protocol-relative (`//host:5050/api/v1`). Redirects are followed by
 * hand (`redirect: 'manual'`) so the caller learns which master leads.
 */
import { BorealisError } from '../../errors.js';
import { stringifyMesosJson } from './json.js';

export const JSON_TYPE = 'application/json';
const MAX_REDIRECTS = 5;

export interface PostOptions {
  /** `/api/v1/scheduler` or `/api/v1`. */
  path: string;
  /** Named in errors, e.g. `SUBSCRIBE` or `GET_STATE`. */
  call: string;
  headers?: Record<string, string>;
  /** Ends the whole exchange, the response body included. */
  signal?: AbortSignal;
  /** Per master tried, so one that hangs does not use up the time of the others. */
  timeoutMs?: number;
}

export interface LeaderResponse {
  response: Response;
  /** The master that answered, without a trailing slash. */
  master: string;
}

/** One POST of `body` as Mesos JSON, without following redirects. */
export function postJson(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
  signal?: AbortSignal,
): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': JSON_TYPE, accept: JSON_TYPE, ...headers },
    body: stringifyMesosJson(body),
    redirect: 'manual',
    ...(signal === undefined ? {} : { signal }),
  });
}

/**
 * Posts to each master in turn, following 307s to the leader. A master that cannot be
 * reached, or answers 503 (no leader elected yet, or still recovering), is skipped for
 * the next one; any other answer is returned as it is.
 */
export async function postToLeader(
  masters: readonly string[],
  body: unknown,
  options: PostOptions,
): Promise<LeaderResponse> {
  const failures: string[] = [];
  for (const start of masters) {
    const outcome = await followRedirects(withoutSlash(start), body, options);
    if ('response' in outcome) return outcome;
    failures.push(outcome.failure);
  }
  const tried = failures.length > 0 ? failures.join('; ') : 'no masters given';
  throw new BorealisError('MESOS_NO_LEADER', `no Mesos master answered ${options.call}: ${tried}`, {
    hint: 'check the master URLs and that a master is elected',
  });
}

async function followRedirects(
  start: string,
  body: unknown,
  options: PostOptions,
): Promise<LeaderResponse | { failure: string }> {
  let master = start;
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    let response: Response;
    try {
      response = await postJson(`${master}${options.path}`, body, options.headers, attemptSignal(options));
    } catch (error) {
      return { failure: `${master}: ${fetchProblem(error)}` };
    }
    if (response.status === 503) return { failure: `${master}: 503 ${await response.text()}` };
    if (response.status !== 307) return { response, master };
    await response.body?.cancel();
    master = leaderFromLocation(master, response.headers.get('location'));
  }
  return { failure: `${start}: more than ${MAX_REDIRECTS} redirects` };
}

function attemptSignal(options: PostOptions): AbortSignal | undefined {
  const signals = [
    options.signal,
    options.timeoutMs === undefined ? undefined : AbortSignal.timeout(options.timeoutMs),
  ];
  const present = signals.filter((signal): signal is AbortSignal => signal !== undefined);
  return present.length > 1 ? AbortSignal.any(present) : present[0];
}

/** fetch says only "fetch failed"; the cause says why (ECONNREFUSED, ENOTFOUND, a timeout). */
function fetchProblem(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause as { code?: string; message?: string } | undefined;
  const detail = cause?.code ?? cause?.message;
  return detail === undefined ? error.message : `${error.message} (${detail})`;
}

const withoutSlash = (url: string): string => url.replace(/\/+$/, '');

/** `//host:5050/api/v1/scheduler` → `http://host:5050`, keeping the scheme we used. */
export function leaderFromLocation(current: string, location: string | null): string {
  if (!location) throw new BorealisError('MESOS_BAD_REDIRECT', `${current} redirected without a Location`);
  const url = new URL(location, `${current}/`);
  return `${url.protocol}//${url.host}`;
}
