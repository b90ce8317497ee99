/** What differs between sinks, as data: how an event becomes a request and which answers mean "delivered". */
import type { SinkConfig, SinkKind } from './config.js';
import type { NotificationEvent } from './events.js';

export interface PreparedRequest {
  /** Built once per event, so every attempt sends the same bytes. */
  body: string;
  /** Per attempt: a signed webhook binds the moment of sending into its signature. */
  headers(nowMs: number): Record<string, string>;
}

export interface SinkProtocol {
  readonly kind: SinkKind;
  prepare(event: NotificationEvent, config: SinkConfig): PreparedRequest;
  accepts(status: number): boolean;
}

export const JSON_HEADERS: Readonly<Record<string, string>> = {
  'Content-Type': 'application/json',
  'User-Agent': 'borealis',
};

/** Chat services take a JSON body and nothing else from us; only the payload and the success code vary. */
export function jsonProtocol(
  kind: SinkKind,
  payload: (event: NotificationEvent) => unknown,
  accepts: (status: number) => boolean,
): SinkProtocol {
  return {
    kind,
    prepare: (event) => ({ body: JSON.stringify(payload(event)), headers: () => ({ ...JSON_HEADERS }) }),
    accepts,
  };
}

export const isOk = (status: number): boolean => status === 200;
export const is2xx = (status: number): boolean => status >= 200 && status < 300;
