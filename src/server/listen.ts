/**
 * `--listen` values: `HOST:PORT`, `:PORT` or `PORT`. As in Go, an empty host means every
 * interface (webhooks come from outside); write `127.0.0.1:PORT` to stay local. IPv6 hosts
 * go in brackets: `[::1]:7070`.
 */
export interface ListenAddress {
  host: string;
  port: number;
}

const ALL_INTERFACES = '0.0.0.0';
const LISTEN = /^(?:(\[[0-9a-f:.]+\]|[^:[\]\s]*):)?(\d{1,5})$/i;

export function parseListen(listen: string): ListenAddress {
  const match = LISTEN.exec(listen.trim());
  const port = Number(match?.[2]);
  if (!match || port > 65535) {
    throw new Error(`invalid listen address "${listen}": expected HOST:PORT, :PORT or PORT (0-65535)`);
  }
  const host = (match[1] ?? '').replace(/^\[(.*)\]$/, '$1');
  return { host: host === '' ? ALL_INTERFACES : host, port };
}

/** A URL that reaches the server from this machine (a wildcard address is not one you can connect to). */
export function localUrl(host: string, port: number): string {
  return httpUrl(host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host, port);
}

/** A `--listen` value for `host` and `port`, an IPv6 host in brackets. */
export function formatListen(host: string, port: number): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/** `http://host:port`, an IPv6 host in brackets. */
export function httpUrl(host: string, port: number): string {
  return `http://${formatListen(host, port)}`;
}
