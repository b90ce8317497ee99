/**
 * The per-task executor, Thermos-style: ACTIVE (regular processes, health checks) → CLEANING
 * (SIGTERM, then SIGKILL at the deadline) → FINALIZING (final processes, same deadline) →
 * terminal status. It is the only writer of `status.json` while it lives.
 */
import type { HealthCheckConfig } from '../../jobspec/types.js';
import { isTerminal } from '../types.js';
import { jsonText, replaceFileSync, writeFileDurablySync } from '../../util/durable-file.js';
import { HealthMonitor } from './health-monitor.js';
import type { HealthVerdict } from './health-policy.js';
import { httpProbe, shellProbe, type Probe } from './health-probe.js';
import { ScheduleRunner } from './schedule-runner.js';
import {
  buildSchedule,
  regularVerdict,
  type ProcessSchedule,
  type Runs,
  type TaskVerdict,
} from './process-schedule.js';
import {
  REASON_COMMAND_EXECUTOR_FAILED,
  REASON_HEALTH_CHECK_FAILED,
  REASON_TASK_INVALID,
  type ProcessStatus,
  type SandboxStatus,
  type TaskRecord,
} from './records.js';
import { processLogPath, type SandboxPaths } from './sandbox-layout.js';
import { healthPort, renderTask, taskEnvironment, type RenderedTask } from './task-env.js';
import { KILL_WAIT_MS, killTaskProcesses } from './task-markers.js';

export interface TerminalOutcome {
  state: 'FINISHED' | 'FAILED' | 'KILLED';
  reason?: string;
  message?: string;
  healthy?: boolean;
}

export interface SupervisorOptions {
  paths: SandboxPaths;
  record: TaskRecord;
  status: SandboxStatus;
  baseEnv: NodeJS.ProcessEnv;
  /** The sandbox root this supervisor's marker names (task-markers.ts). */
  root: string;
  log: (message: string) => void;
}

type StatusChange = Partial<Pick<SandboxStatus, 'state' | 'healthy' | 'reason' | 'message'>>;

export function describeFailure(verdict: Extract<TaskVerdict, { kind: 'failed' }>, runs: Runs): string {
  const failed = verdict.failed.map((name) => {
    const run = runs[name];
    return `${name} (exit ${run?.exitCode ?? '?'}, ${run?.runs ?? 0} runs)`;
  });
  if (verdict.deadlocked) {
    const after = failed.length > 0 ? ` after ${failed.join(', ')} failed` : '';
    return `No process can run any more${after}`;
  }
  return `Process${failed.length > 1 ? 'es' : ''} failed: ${failed.join(', ')}`;
}

function toProcessStatus(runs: Runs): Record<string, ProcessStatus> {
  const result: Record<string, ProcessStatus> = {};
  for (const [name, run] of Object.entries(runs)) {
    result[name] = {
      state: run.phase,
      runs: run.runs,
      failures: run.failures,
      pid: run.pid,
      exitCode: run.exitCode,
    };
  }
  return result;
}

export class TaskSupervisor {
  private status: SandboxStatus;
  private regular: ScheduleRunner | undefined;
  private finals: ScheduleRunner | undefined;
  private health: HealthMonitor | undefined;
  private outcome: TerminalOutcome | undefined;
  private endActive: (outcome: TerminalOutcome) => void = () => undefined;
  private statusWriteFailed = false;
  private readonly activeEnded: Promise<TerminalOutcome>;

  constructor(private readonly options: SupervisorOptions) {
    this.status = options.status;
    this.activeEnded = new Promise((resolve) => {
      this.endActive = (outcome) => {
        if (this.outcome !== undefined) return;
        this.outcome = outcome;
        resolve(outcome);
      };
    });
  }

  /** SIGTERM from the cluster. Later requests (or one after the task ended by itself) change nothing. */
  requestKill(): void {
    if (this.outcome !== undefined) return;
    this.options.log('kill requested');
    this.report({ state: 'KILLING', reason: undefined, message: 'Kill requested' });
    this.endActive({ state: 'KILLED', message: 'Task killed' });
  }

  async run(): Promise<TerminalOutcome> {
    const rendered = this.render();
    if (rendered !== undefined && this.outcome === undefined) this.startActive(rendered);
    const outcome = await this.activeEnded;
    this.health?.stop();
    const deadline = Date.now() + this.options.record.config.task.finalization_wait * 1000;
    this.options.log(`cleaning up for ${outcome.state}`);
    await this.regular?.stop(deadline);
    if (this.finals !== undefined && Date.now() < deadline) {
      this.finals.start();
      await this.finals.settle(deadline);
      await this.finals.stop(Date.now());
    }
    // Whatever left the process groups (setsid, double fork) but kept the task's marker.
    await killTaskProcesses(this.options.root, this.options.record.taskId, Date.now() + KILL_WAIT_MS);
    const { state, reason, message } = outcome;
    this.report({ state, reason, message, healthy: outcome.healthy ?? this.status.healthy });
    return outcome;
  }

  private render(): RenderedTask | undefined {
    try {
      return renderTask(this.options.record);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.endActive({ state: 'FAILED', reason: REASON_TASK_INVALID, message });
      return undefined;
    }
  }

  private startActive(rendered: RenderedTask): void {
    const task = this.options.record.config.task;
    const regularPlan = buildSchedule(
      task.processes.filter((process) => !process.final),
      task.constraints,
    );
    const finalPlan = buildSchedule(
      task.processes.filter((process) => process.final),
      task.constraints,
    );
    this.regular = this.planRunner(regularPlan, rendered, () => this.onRegularChange(regularPlan));
    this.finals = this.planRunner(finalPlan, rendered, () => this.writeStatus());
    this.regular.start();
    if (this.outcome === undefined) this.startHealth(rendered);
  }

  private planRunner(plan: ProcessSchedule, rendered: RenderedTask, onChange: () => void): ScheduleRunner {
    const { paths, record, baseEnv, log } = this.options;
    return new ScheduleRunner({
      plan,
      maxConcurrency: record.config.task.max_concurrency,
      commands: rendered.commands,
      cwd: paths.dir,
      env: taskEnvironment(record, paths.dir, baseEnv),
      logPath: (name) => processLogPath(paths, name),
      onChange,
      log,
    });
  }

  private onRegularChange(plan: ProcessSchedule): void {
    if (this.outcome === undefined && this.regular !== undefined) {
      const runs = this.regular.runs;
      const verdict = regularVerdict(plan, runs, this.options.record.config.task.max_failures);
      if (verdict.kind === 'finished')
        this.endActive({ state: 'FINISHED', message: 'All processes finished' });
      if (verdict.kind === 'failed') {
        this.endActive({
          state: 'FAILED',
          reason: REASON_COMMAND_EXECUTOR_FAILED,
          message: describeFailure(verdict, runs),
        });
      }
    }
    this.writeStatus();
  }

  /** Without a health check the task is RUNNING as soon as its processes have started. */
  private startHealth(rendered: RenderedTask): void {
    const config = this.options.record.config.health_check_config;
    const probe = config === undefined ? undefined : this.probe(config, rendered);
    if (config === undefined || probe === undefined) {
      const message = config === undefined ? 'Task started' : 'No health or http port: health check skipped';
      this.report({ state: 'RUNNING', message });
      return;
    }
    this.health = new HealthMonitor(config, probe, (verdict, reason) => this.onHealth(verdict, reason));
    this.health.start();
  }

  private probe(config: HealthCheckConfig, rendered: RenderedTask): Probe | undefined {
    const { paths, record, baseEnv } = this.options;
    if (config.shell !== undefined && rendered.healthShellCommand !== undefined) {
      return shellProbe({
        command: rendered.healthShellCommand,
        cwd: paths.dir,
        env: taskEnvironment(record, paths.dir, baseEnv),
        timeoutSecs: config.timeout_secs,
      });
    }
    const port = healthPort(record);
    if (config.http === undefined || port === undefined) return undefined;
    return httpProbe(config.http, port, config.timeout_secs);
  }

  private onHealth(verdict: HealthVerdict, reason: string | undefined): void {
    if (this.outcome !== undefined) return;
    this.options.log(`health: ${verdict}${reason === undefined ? '' : ` (${reason})`}`);
    if (verdict === 'healthy') this.report({ state: 'RUNNING', healthy: true, message: 'Task is healthy' });
    if (verdict === 'failed') {
      const message = `Failed health check! ${reason ?? ''}`.trim();
      this.report({ healthy: false, message });
      this.endActive({ state: 'FAILED', reason: REASON_HEALTH_CHECK_FAILED, message, healthy: false });
    }
  }

  private report(change: StatusChange): void {
    const next: SandboxStatus = { ...this.status, ...change };
    if (next.state !== this.status.state || next.healthy !== this.status.healthy) next.updatedAt = Date.now();
    this.status = next;
    if (change.state !== undefined) this.options.log(`task ${change.state}`);
    this.writeStatus();
  }

  private writeStatus(): void {
    const processes = {
      ...this.status.processes,
      ...toProcessStatus(this.regular?.runs ?? {}),
      ...toProcessStatus(this.finals?.runs ?? {}),
    };
    this.status = { ...this.status, processes };
    try {
      // Only a final status must outlive a power cut (util/durable-file.ts says why).
      const write = isTerminal(this.status.state) ? writeFileDurablySync : replaceFileSync;
      write(this.options.paths.status, jsonText(this.status));
    } catch (error) {
      // A sandbox removed or made unwritable under the task: what the supervisor has left to do
      // is stop its processes, and that must not depend on the sandbox.
      if (!this.statusWriteFailed) this.options.log(`cannot write the status: ${String(error)}`);
      this.statusWriteFailed = true;
    }
  }
}
