/**
 * `borealis watch` in a process of its own, for the benchmarks that measure it from the
 * outside: its log lines as they come, and the deployment records it serves.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { DeploymentDocument } from '../src/state/deployment-wire.js';

const BIN = fileURLToPath(new URL('../../bin/borealis.js', import.meta.url));

export interface WatchProcess {
  /** The daemon's HTTP base URL. */
  url: string;
  /** How many lines it has logged so far. */
  mark(): number;
  /** Resolves with the first line logged after `since` lines that `matches`. */
  logLine(matches: (line: string) => boolean, since?: number): Promise<string>;
  /** The newest deployment, as GET /api/deployments serves it. */
  newest(): Promise<DeploymentDocument>;
  /**
   * Resolves once `/healthz` says no pass runs or waits, twice in a row, and the process has
   * used under 5% of a core for two seconds: status updates and acknowledgements of a
   * re-adopted cluster keep it busy well after its passes end, on the cores a measured
   * process needs.
   */
  idle(): Promise<void>;
  /** SIGKILL: a benchmark throws the daemon's state away, and a rollout may still be watching (SIGTERM when profiled). */
  kill(): Promise<void>;
}

export async function startWatch(globalArgs: readonly string[]): Promise<WatchProcess> {
  const child = spawn(
    process.execPath,
    [
      ...profileArgs(),
      BIN,
      ...globalArgs,
      'watch',
      '--listen',
      '127.0.0.1:0',
      '--interval',
      '3600',
      '--resync',
      '3600',
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const lines: string[] = [];
  const waiting = new Set<{ matches: (line: string) => boolean; resolve: (line: string) => void }>();
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code, signal) => reject(new Error(`watch exited (${code ?? signal})`))),
  );
  exited.catch(() => {});
  createInterface({ input: child.stdout }).on('line', (line) => {
    lines.push(line);
    for (const waiter of waiting)
      if (waiter.matches(line)) {
        waiting.delete(waiter);
        waiter.resolve(line);
      }
  });
  const logLine = (matches: (line: string) => boolean, since = lines.length) => {
    const logged = lines.slice(since).find(matches);
    if (logged !== undefined) return Promise.resolve(logged);
    return Promise.race([new Promise<string>((resolve) => waiting.add({ matches, resolve })), exited]);
  };
  const started = await logLine((line) => line.includes('; HTTP on '));
  const url = started.slice(started.indexOf('; HTTP on ') + '; HTTP on '.length).trim();
  return {
    url,
    mark: () => lines.length,
    logLine,
    newest: async () => {
      const body = (await (await fetch(`${url}/api/deployments?limit=1`)).json()) as {
        deployments: DeploymentDocument[];
      };
      return body.deployments[0]!;
    },
    idle: async () => {
      const deadline = Date.now() + IDLE_WITHIN_MS;
      for (let quiet = 0; quiet < 2;) {
        if (Date.now() > deadline)
          throw new Error(`watch was not idle within ${IDLE_WITHIN_MS / 60_000} minutes`);
        const health = (await (await fetch(`${url}/healthz`)).json()) as { reconciling: boolean };
        const before = cpuSeconds(child.pid!);
        // Asked again after a while: a task update may have woken it in between.
        await new Promise((resolve) => setTimeout(resolve, 1_000));
        const busy = cpuSeconds(child.pid!) - before > QUIET_CPU_SECONDS;
        quiet = health.reconciling || busy ? 0 : quiet + 1;
      }
    },
    kill: () => killed(child),
  };
}

/** CPU per second of wall time below which the daemon counts as idle. */
const QUIET_CPU_SECONDS = 0.05;
const IDLE_WITHIN_MS = 10 * 60_000;
const CLOCK_TICKS_PER_SECOND = 100; // USER_HZ, the unit of /proc/<pid>/stat on Linux

/** The user and system CPU time a process has used (Linux). */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // After the command name in parentheses: state is field 3, utime 14 and stime 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
}

/** `BENCH_WATCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof"` profiles the daemon (NODE_OPTIONS refuses --cpu-prof). */
function profileArgs(): string[] {
  return (process.env.BENCH_WATCH_NODE_ARGS ?? '').split(' ').filter((arg) => arg !== '');
}

function killed(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // A profiled daemon writes its profile only when it exits by itself.
  child.kill(profileArgs().length > 0 ? 'SIGTERM' : 'SIGKILL');
  return gone;
}
