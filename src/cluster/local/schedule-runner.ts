/**
 * Carries out a plan's decisions: starts what `decideStarts` says, applies the restart policy
 * to each exit, and stops everything on request. It decides nothing itself.
 */
import type { ProcessConfig } from '../../jobspec/types.js';
import {
  decideStarts,
  initialRuns,
  scheduleState,
  runAfterExit,
  runAfterKill,
  runAfterStart,
  type ProcessSchedule,
  type ScheduleState,
  type Runs,
} from './process-schedule.js';
import { groupMembers, signalGroup, waitForExit } from '../../util/proc.js';
import { startProcess } from './process-runner.js';

export interface ScheduleRunnerOptions {
  plan: ProcessSchedule;
  maxConcurrency: number;
  /** Rendered command line per process name. */
  commands: Record<string, string>;
  cwd: string;
  env: NodeJS.ProcessEnv;
  logPath: (processName: string) => string;
  /** Called after every change of any process's run. */
  onChange: () => void;
  log: (message: string) => void;
}

/** Processes that ignore even SIGKILL (stuck in the kernel) must not hang the supervisor. */
const KILL_GRACE_MS = 5000;

function delay(ms: number): { promise: Promise<void>; cancel: () => void } {
  let timer: NodeJS.Timeout | undefined;
  const promise = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, Math.max(0, ms));
  });
  return { promise, cancel: () => clearTimeout(timer) };
}

export class ScheduleRunner {
  readonly runs: Runs;
  private readonly live = new Map<string, { pid: number | undefined; exit: Promise<number> }>();
  private readonly byName: Map<string, ProcessConfig>;
  private wakeTimer: NodeJS.Timeout | undefined;
  private stopping = false;
  private readonly changeWaiters: (() => void)[] = [];

  constructor(private readonly options: ScheduleRunnerOptions) {
    this.runs = initialRuns(options.plan);
    this.byName = new Map(options.plan.processes.map((process) => [process.name, process]));
  }

  get state(): ScheduleState {
    return scheduleState(this.options.plan, this.runs);
  }

  start(): void {
    this.schedule();
  }

  /**
   * SIGTERM every running group, give all their members (not just the leaders) until
   * `deadline`, then SIGKILL the groups. Processes never started stay WAITING.
   */
  async stop(deadline: number): Promise<void> {
    this.stopping = true;
    if (this.wakeTimer !== undefined) clearTimeout(this.wakeTimer);
    const groups = [...this.live.values()].flatMap(({ pid }) => (pid === undefined ? [] : [pid]));
    const members = groups.flatMap(groupMembers);
    for (const pgid of groups) signalGroup(pgid, 'SIGTERM');
    await this.waitForExits(deadline - Date.now());
    const stragglers = await waitForExit(members, deadline);
    if (stragglers.length > 0)
      this.options.log(`SIGKILL after finalization wait: pids ${stragglers.join(', ')}`);
    // Unconditionally: a member forked after the scan above is caught here too.
    for (const pgid of groups) signalGroup(pgid, 'SIGKILL');
    await this.waitForExits(KILL_GRACE_MS);
  }

  /** Resolves when the plan is no longer active, or at `deadline`. */
  async settle(deadline: number): Promise<void> {
    while (this.state === 'active' && Date.now() < deadline) {
      const timeout = delay(deadline - Date.now());
      await Promise.race([this.nextChange(), timeout.promise]);
      timeout.cancel();
    }
  }

  private nextChange(): Promise<void> {
    return new Promise((resolve) => this.changeWaiters.push(resolve));
  }

  private changed(): void {
    const waiters = this.changeWaiters.splice(0);
    for (const resolve of waiters) resolve();
    this.options.onChange();
  }

  private async waitForExits(ms: number): Promise<void> {
    const timeout = delay(ms);
    const all = Promise.all([...this.live.values()].map((entry) => entry.exit));
    await Promise.race([all, timeout.promise]);
    timeout.cancel();
    // The exit handlers are chained after `exit`; let them record the runs first.
    await new Promise((resolve) => setImmediate(resolve));
  }

  private schedule(): void {
    if (this.stopping) return;
    if (this.wakeTimer !== undefined) clearTimeout(this.wakeTimer);
    this.wakeTimer = undefined;
    const now = Date.now();
    const decision = decideStarts(this.options.plan, this.runs, this.options.maxConcurrency, now);
    for (const name of decision.start) this.launch(name, now);
    if (decision.wakeAt !== undefined) {
      this.wakeTimer = setTimeout(() => this.schedule(), decision.wakeAt - now);
    }
    this.changed();
  }

  private launch(name: string, now: number): void {
    const started = startProcess({
      cmdline: this.options.commands[name] ?? '',
      cwd: this.options.cwd,
      env: this.options.env,
      logPath: this.options.logPath(name),
    });
    const run = this.runs[name];
    if (run === undefined) return;
    this.runs[name] = runAfterStart(run, started.pid, now);
    this.live.set(name, started);
    this.options.log(`started ${name} (pid ${started.pid ?? 'none'}, run ${run.runs + 1})`);
    void started.exit.then((status) => this.onExit(name, started.pid, status));
  }

  private onExit(name: string, pid: number | undefined, status: number): void {
    this.live.delete(name);
    // Like Thermos, whatever the process left behind in its group dies with it; during a
    // kill sequence the stragglers get the rest of the finalization wait instead.
    if (pid !== undefined && !this.stopping) signalGroup(pid, 'SIGKILL');
    const run = this.runs[name];
    const process = this.byName.get(name);
    if (run === undefined || process === undefined) return;
    this.runs[name] = this.stopping ? runAfterKill(run, status) : runAfterExit(process, run, status);
    this.options.log(`${name} exited with ${status} → ${this.runs[name]?.phase ?? '?'}`);
    if (this.stopping) this.changed();
    else this.schedule();
  }
}
