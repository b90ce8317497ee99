/**
 * Telling a live lock owner from a dead one. A pid alone is not enough: pids are recycled,
 * and after a reboot the same pid belongs to someone else. So an owner is the pid plus the
 * kernel's start time of that process plus (a prefix of) the boot id, all read from Linux
 * /proc. Where /proc is missing only the pid can be checked, with signal 0.
 */
import { readFileSync } from 'node:fs';
import { isSameProcessAlive, readProcStat } from '../../util/proc.js';

export interface ProcessIdentity {
  pid: number;
  /** Start time in clock ticks since boot (proc(5) field 22), or `0` when unknown. */
  start: string;
  /** First 8 hex digits of the boot id, or `0` when unknown. */
  boot: string;
}

const UNKNOWN = '0';

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

let own: ProcessIdentity | undefined;

export function ownIdentity(): ProcessIdentity {
  own ??= {
    pid: process.pid,
    start: readProcStat(process.pid)?.startTime ?? UNKNOWN,
    boot: readText('/proc/sys/kernel/random/boot_id')?.replace(/-/g, '').slice(0, 8) || UNKNOWN,
  };
  return own;
}

function answersSignals(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** True while `owner` still runs; zombies count as dead since they can hold nothing. */
export function isAlive(owner: ProcessIdentity): boolean {
  const self = ownIdentity();
  if (self.start === UNKNOWN) return answersSignals(owner.pid);
  if (owner.boot !== self.boot) return false;
  return isSameProcessAlive(owner.pid, owner.start);
}
