/**
 * Which chat rooms and webhooks to tell, from `--notify KIND=URL` flags and the environment.
 *
 * Webhook URLs are credentials: a Slack or Teams URL embeds the token that lets anyone post
 * to the channel. Prefer the environment (`BOREALIS_NOTIFY_SLACK=…`) to the flag, whose value
 * any local user can read in `ps`. Nothing here or downstream prints a whole URL: a sink is
 * named by kind and host, `slack(hooks.slack.com)`, and error messages show only a redacted
 * form of the value they refuse.
 */
import { BorealisError } from '../errors.js';

export const SINK_KINDS = ['slack', 'mattermost', 'teams', 'webhook'] as const;

export type SinkKind = (typeof SINK_KINDS)[number];

export interface SinkConfig {
  kind: SinkKind;
  url: string;
  /** How logs and stats name the sink; unique within one configuration. */
  name: string;
  /** HMAC-SHA256 key signing generic webhook deliveries; only on `webhook` sinks. */
  secret?: string;
}

export const NOTIFY_FLAG = '--notify';
export const WEBHOOK_SECRET_ENV = 'BOREALIS_NOTIFY_WEBHOOK_SECRET';

export function envVariableOf(kind: SinkKind): string {
  return `BOREALIS_NOTIFY_${kind.toUpperCase()}`;
}

const EXAMPLE = 'slack=https://hooks.slack.com/services/…';

interface RawSink {
  kind: SinkKind;
  url: string;
}

/** Flags first, then the environment in kind order; a URL configured twice is told once. */
export function parseSinks(flagValues: string[], env: NodeJS.ProcessEnv): SinkConfig[] {
  const raw = [...flagValues.map((value, index) => fromFlag(value, index + 1)), ...fromEnvironment(env)];
  const secret = env[WEBHOOK_SECRET_ENV] || undefined;
  const seen = new Set<string>();
  const names = new Map<string, number>();
  const sinks: SinkConfig[] = [];
  for (const { kind, url } of raw) {
    const key = `${kind} ${url}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const name = uniqueName(`${kind}(${new URL(url).host})`, names);
    sinks.push({ kind, url, name, ...(kind === 'webhook' && secret !== undefined ? { secret } : {}) });
  }
  return sinks;
}

function fromFlag(value: string, position: number): RawSink {
  const where = `${NOTIFY_FLAG} value #${position}`;
  const separator = value.indexOf('=');
  const kindText = value.slice(0, Math.max(0, separator)).trim();
  // `https://host/hook?token=…` has an "=" too, but no kind before it.
  const problem =
    separator < 0 ? 'it has no "="' : /[:/]/.test(kindText) ? 'it starts with a URL, not a kind' : '';
  if (problem !== '') {
    throw new BorealisError('BAD_NOTIFY_SINK', `${where} ${shown(value)} is not KIND=URL: ${problem}`, {
      hint: `write ${NOTIFY_FLAG} ${EXAMPLE} (KIND is one of ${SINK_KINDS.join(', ')}); ${environmentHint()}`,
    });
  }
  const kind = SINK_KINDS.find((known) => known === kindText.toLowerCase());
  if (kind === undefined) {
    throw new BorealisError(
      'BAD_NOTIFY_SINK',
      `${where}: unknown notification kind ${shown(kindText)}: expected one of ${SINK_KINDS.join(', ')}`,
      { hint: `write ${NOTIFY_FLAG} ${EXAMPLE}` },
    );
  }
  return { kind, url: checkedUrl(value.slice(separator + 1).trim(), `${where} (${kind})`) };
}

function fromEnvironment(env: NodeJS.ProcessEnv): RawSink[] {
  return SINK_KINDS.flatMap((kind) => {
    const variable = envVariableOf(kind);
    const items = (env[variable] ?? '').split(/[\s,]+/).filter((item) => item !== '');
    return items.map((item, index) => ({ kind, url: checkedUrl(item, `${variable} item #${index + 1}`) }));
  });
}

function checkedUrl(text: string, where: string): string {
  const refuse = (what: string, hint: string): never => {
    throw new BorealisError('BAD_NOTIFY_URL', `${where}: ${what}`, { hint });
  };
  if (text === '') refuse('the URL is empty', `write ${NOTIFY_FLAG} ${EXAMPLE}`);
  let url: URL | undefined;
  try {
    url = new URL(text);
  } catch {
    url = undefined;
  }
  if (url === undefined || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
    return refuse(
      `${shown(text)} is not an http(s) URL`,
      'copy the whole URL the chat service gave, starting with https://',
    );
  }
  if (url.username !== '' || url.password !== '') {
    // fetch refuses URLs with credentials; a signature is the supported way to authenticate.
    return refuse(
      `${shown(text)} carries a user name or password, which is not supported`,
      `remove them; to authenticate generic webhooks set ${WEBHOOK_SECRET_ENV} and check X-Borealis-Signature`,
    );
  }
  return url.href;
}

function environmentHint(): string {
  return `prefer ${SINK_KINDS.map(envVariableOf).join(', ')}: flags are visible to every user in ps`;
}

function uniqueName(base: string, counts: Map<string, number>): string {
  const count = (counts.get(base) ?? 0) + 1;
  counts.set(base, count);
  return count === 1 ? base : `${base}#${count}`;
}

/**
 * A refused value as error messages may show it: the scheme and host, never the path,
 * query or user information that carry a webhook's token.
 */
export function shown(value: string): string {
  const url = URL.canParse(value) ? new URL(value) : undefined;
  if (url !== undefined && url.host !== '') {
    const cut = value.length > `${url.protocol}//${url.host}/`.length;
    return JSON.stringify(`${url.protocol}//${url.host}${cut ? '/…' : ''}`);
  }
  const beforePath = value.split(/[/?#]/, 1)[0] ?? '';
  const host = beforePath.slice(beforePath.lastIndexOf('@') + 1);
  if (host.length < value.length) return JSON.stringify(`${host}…`);
  return JSON.stringify(value.length <= 16 ? value : `${value.slice(0, 8)}…`);
}
