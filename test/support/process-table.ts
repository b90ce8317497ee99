/**
 * An independent view of the real process table, for asserting that a task left nothing
 * behind. It matches on the sandbox path the task id appears in (environment or command line),
 * not on the marker the implementation itself uses to sweep, so it can catch the sweep failing.
 */
import { readdirSync, readFileSync } from 'node:fs';

export interface ProcessEntry {
  pid: number;
  pgid: number;
  state: string;
  cmdline: string;
}

function read(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

function entry(pid: number): ProcessEntry | undefined {
  const stat = read(`/proc/${pid}/stat`);
  const close = stat.lastIndexOf(')');
  if (close < 0) return undefined;
  const fields = stat.slice(close + 2).split(' ');
  return {
    pid,
    state: fields[0] ?? '?',
    pgid: Number(fields[2]),
    cmdline: read(`/proc/${pid}/cmdline`).split('\0').join(' ').trim(),
  };
}

/** Live (non-zombie) processes other than this one whose environment or command line names `needle`. */
export function processesMentioning(needle: string): ProcessEntry[] {
  const pids = readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map(Number)
    .filter((pid) => pid !== process.pid);
  const found: ProcessEntry[] = [];
  for (const pid of pids) {
    const carries =
      read(`/proc/${pid}/environ`).includes(needle) || read(`/proc/${pid}/cmdline`).includes(needle);
    const info = carries ? entry(pid) : undefined;
    if (info !== undefined && info.state !== 'Z' && info.state !== 'X') found.push(info);
  }
  return found;
}

export function isProcessRunning(pid: number): boolean {
  const info = entry(pid);
  return info !== undefined && info.state !== 'Z' && info.state !== 'X';
}

/** For cleanup after a failed test: never leave `sleep 1000` behind. */
export function killProcessesMentioning(needle: string): void {
  for (const { pid } of processesMentioning(needle)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Gone already.
    }
  }
}
