/**
 * The daemon's log lines, in one of two formats. `text` is for people: an ISO 8601 time
 * and the message. `json` is for log pipelines: one object per line with `time`, `level`,
 * `msg` and the line's structured fields (commit, job, outcome…), so nothing has to be
 * parsed back out of the message.
 */
export type LogFormat = 'text' | 'json';

export const LOG_FORMATS: readonly LogFormat[] = ['text', 'json'];

export type LogLevel = 'info' | 'warn' | 'error';

/** Snake_case keys; an undefined value is left out. */
export type LogFields = Record<string, string | number | boolean | null | undefined>;

/**
 * One log line. Any `(line: string) => void` consumer accepts it, so modules that only
 * have words to log need not know about fields or formats.
 */
export type Log = (msg: string, fields?: LogFields, level?: LogLevel) => void;

export function createLog(format: LogFormat, write: (text: string) => void, now = () => new Date()): Log {
  if (format === 'text') return (msg) => write(`${now().toISOString()} ${msg}\n`);
  return (msg, fields = {}, level = 'info') => {
    const line: Record<string, unknown> = { time: now().toISOString(), level, msg };
    for (const [key, value] of Object.entries(fields))
      if (value !== undefined && !(key in line)) line[key] = value;
    write(`${JSON.stringify(line)}\n`);
  };
}

/** A log whose every message starts with `prefix` (a component's name), fields kept. */
export function prefixed(log: Log, prefix: string): Log {
  return (msg, fields, level) => log(`${prefix}${msg}`, fields, level);
}
