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

function readEnviron(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
  } catch {
    return [];
  }
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

/** Every live process (other than this one) whose initial environment holds `name=value`. */
export function processesWithEnv(name: string, value: string): number[] {
  const wanted = `${name}=${value}`;
  return listPids().filter((pid) => pid !== process.pid && readEnviron(pid).includes(wanted));
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

/**
 * Waits until every given process has exited, or until `deadline`; returns those still
 * running. They are not our children, so the kernel offers no exit event for them: this polls,
 * briefly, and only during a kill sequence bounded by `finalization_wait`.
 */
export async function waitForExit(pids: readonly number[], deadline: number): Promise<number[]> {
  let remaining = pids.filter(isRunning);
  while (remaining.length > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, Math.min(EXIT_POLL_MS, deadline - Date.now())));
    remaining = remaining.filter(isRunning);
  }
  return remaining;
}

const SWEEP_ROUNDS = 10;

/**
 * SIGKILLs every process carrying the task's marker, including ones that left their process
 * group (setsid, double fork). Repeats because a process may fork between scan and kill.
 */
export function killMarkedProcesses(name: string, value: string): number {
  let killed = 0;
  for (let round = 0; round < SWEEP_ROUNDS; round += 1) {
    const pids = processesWithEnv(name, value);
    if (pids.length === 0) break;
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
        killed += 1;
      } catch {
        // Already gone.
      }
    }
  }
  return killed;
}
