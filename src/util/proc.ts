/**
 * The process table, read from /proc. A pid alone cannot identify a supervisor across time
 * (pids are recycled), so identity is pid plus the kernel's start time of that process.
 */
import { readdirSync, readFileSync } from 'node:fs';

export interface ProcStat {
  state: string;
  pgid: number;
  startTime: string;
}

/** Fields after the command name, which is parenthesised and may itself contain spaces or ')'. */
export function parseProcStat(text: string): ProcStat | undefined {
  const close = text.lastIndexOf(')');
  if (close < 0) return undefined;
  const fields = text.slice(close + 2).split(' ');
  // proc(5) fields 3 (state), 5 (process group) and 22 (start time in clock ticks since boot).
  const state = fields[0];
  const pgid = Number(fields[2]);
  const startTime = fields[19];
  if (state === undefined || startTime === undefined || Number.isNaN(pgid)) return undefined;
  return { state, pgid, startTime };
}

/** Zombies have exited; only their parent has not collected them yet. */
function isDead(stat: ProcStat): boolean {
  return stat.state === 'Z' || stat.state === 'X';
}

export function readProcStat(pid: number): ProcStat | undefined {
  try {
    return parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined;
  }
}

/** Undefined when the process does not exist (or /proc is unavailable). */
export function processStartTime(pid: number): string | undefined {
  return readProcStat(pid)?.startTime;
}

/** True when `pid` still runs and is the same process that had `startTime`; zombies are dead. */
export function isSameProcessAlive(pid: number, startTime: string): boolean {
  const stat = readProcStat(pid);
  return stat !== undefined && !isDead(stat) && stat.startTime === startTime;
}

function readEnviron(pid: number): Buffer | undefined {
  try {
    return readFileSync(`/proc/${pid}/environ`);
  } catch {
    return undefined;
  }
}

/** The variables of an environment holding `needle`; undefined for any other (most of them). */
function environWith(pid: number, needle: Buffer): string[] | undefined {
  const raw = readEnviron(pid);
  if (raw === undefined || raw.indexOf(needle) < 0) return undefined;
  return raw.toString('utf8').split('\0');
}

function listPids(): number[] {
  try {
    return readdirSync('/proc')
      .filter((entry) => /^\d+$/.test(entry))
      .map(Number);
  } catch {
    return [];
  }
}

/** A process as identified at one moment: its pid is only its name while `startTime` matches. */
export interface ProcessIdentity {
  pid: number;
  startTime: string;
  pgid: number;
}

/**
 * Live processes (other than this one) whose initial environment contains `needle` (checked
 * on the raw bytes, so the others cost one read) and that `select` accepts, each with what
 * `select` made of it. The environment is read again after the process's stat, so a pid that
 * changed hands between the two reads is not mistaken for the process selected.
 */
export function scanProcesses<T>(
  needle: string,
  select: (environ: readonly string[]) => T | undefined,
): (ProcessIdentity & { selected: T })[] {
  const bytes = Buffer.from(needle);
  const selectIn = (pid: number): T | undefined => {
    const environ = environWith(pid, bytes);
    return environ === undefined ? undefined : select(environ);
  };
  const found: (ProcessIdentity & { selected: T })[] = [];
  for (const pid of listPids()) {
    if (pid === process.pid || selectIn(pid) === undefined) continue;
    const stat = readProcStat(pid);
    const selected = selectIn(pid);
    if (stat === undefined || isDead(stat) || selected === undefined) continue;
    found.push({ pid, startTime: stat.startTime, pgid: stat.pgid, selected });
  }
  return found;
}

/** Signals the process only if its pid still names it; false when it has gone. */
export function signalProcess(target: ProcessIdentity, signal: NodeJS.Signals): boolean {
  if (!isSameProcessAlive(target.pid, target.startTime)) return false;
  try {
    process.kill(target.pid, signal);
    return true;
  } catch {
    return false;
  }
}

/**
 * Signals the group `target` leads, only while `target` still runs as that leader: a group
 * whose leader is not known to be ours is never signalled.
 */
export function signalLedGroup(target: ProcessIdentity, signal: NodeJS.Signals): boolean {
  if (target.pgid !== target.pid || !isSameProcessAlive(target.pid, target.startTime)) return false;
  return signalGroup(target.pgid, signal);
}

/** Signals a whole process group; false when the group no longer exists. */
export function signalGroup(pgid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}

/** Live members of a process group, found by scanning /proc. */
export function groupMembers(pgid: number): number[] {
  return listPids().filter((pid) => {
    const stat = readProcStat(pid);
    return stat !== undefined && stat.pgid === pgid && !isDead(stat);
  });
}

export function isRunning(pid: number): boolean {
  const stat = readProcStat(pid);
  return stat !== undefined && !isDead(stat);
}

const EXIT_POLL_MS = 50;

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}

/**
 * They are not our children, so the kernel offers no exit event for them: this polls,
 * briefly, and only during a kill sequence bounded by a deadline.
 */
async function waitWhileAlive<T>(
  items: readonly T[],
  alive: (item: T) => boolean,
  deadline: number,
): Promise<T[]> {
  let remaining = items.filter(alive);
  while (remaining.length > 0 && Date.now() < deadline) {
    await pause(Math.min(EXIT_POLL_MS, deadline - Date.now()));
    remaining = remaining.filter(alive);
  }
  return remaining;
}

/** Waits until every given process has exited, or until `deadline`; returns those still running. */
export function waitForExit(pids: readonly number[], deadline: number): Promise<number[]> {
  return waitWhileAlive(pids, isRunning, deadline);
}

/** As `waitForExit`, by identity: a pid recycled meanwhile does not count as still running. */
export function waitUntilGone<T extends ProcessIdentity>(
  processes: readonly T[],
  deadline: number,
): Promise<T[]> {
  return waitWhileAlive(processes, (entry) => isSameProcessAlive(entry.pid, entry.startTime), deadline);
}
