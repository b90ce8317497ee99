import type { IncomingHttpHeaders } from 'node:http';

/** One header's value, or undefined when absent or empty. Node lower-cases names and joins repeats. */
export function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name.toLowerCase()];
  return typeof value === 'string' && value !== '' ? value : undefined;
}
