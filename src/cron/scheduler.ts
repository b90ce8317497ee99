/**
 * The cron scheduler: the leader's loop that starts each cron job's runs at their ticks.
 * One worker, like the daemon's: a timer at the next tick, a cron-run task changing state,
 * a deployment, or a run-now request only set a flag and wake it, and its passes never
 * overlap. A pass reads the applied jobs (`jobs/*`), the cron records (`cron/*`) and the
 * cluster's tasks, steps every job (step.ts), saves each job's new state with a write
 * conditional on the version it read (fenced by the election node in ZooKeeper), and only
 * then launches, kills and forgets. It runs beside the deployments, not inside them: a
 * rolling update that takes an hour does not hold a tick back, and the planner leaves
 * cron-run tasks alone.
 */
import { randomUUID } from 'node:crypto';
import type { Cluster, ObservedTask, TaskLaunch } from '../cluster/types.js';
import type { JobId, JobKey } from '../jobspec/types.js';
import type { RecordedJob } from '../plan/types.js';
import { recordedInstance } from '../state/record-shapes.js';
import type { Records } from '../state/records.js';
import { StateConflictError } from '../state/types.js';
import type { Log } from '../util/log.js';
import type { Clock } from './clock.js';
import { cronScheduleOf } from './expression.js';
import { failpoint } from '../reconciler/failpoint.js';
import type { CronRecords, VersionedCronState } from './records.js';
import { stepCron, type CronEvent, type CronJob, type CronStartResult, type CronStepResult } from './step.js';
import type { CronOutcome, CronRun } from './types.js';

/** What the scheduler tells about runs (chat, metrics); the caller decides how. */
export interface CronReporter {
  /** A run started, ended, was skipped, or ticks were missed; once per change, after it is saved. */
  cronEvent(job: JobId, event: CronEvent): void;
}

export interface CronSchedulerDeps {
  cluster: Cluster;
  records: Records;
  cron: CronRecords;
  clock: Clock;
  log: Log;
  reporter?: CronReporter;
}

/** After a pass that failed (a store or cluster out of reach), the next one waits this long. */
const RETRY_AFTER_FAILURE_MS = 5_000;

/** The applied cron job a job record describes, or undefined for any other job. */
export function cronJobOf(record: RecordedJob): CronJob | undefined {
  const { config } = record;
  const schedule = cronScheduleOf(config);
  if (!schedule) return undefined;
  return {
    id: record.id,
    key: { cluster: config.cluster, role: config.role, environment: config.environment, name: config.name },
    schedule,
    policy: config.cron_collision_policy,
    paused: config.cron_paused === true,
    instances: config.instances,
    maxTaskFailures: config.max_task_failures,
    configHash: record.configHash,
    commit: record.commit,
    appliedAt: record.appliedAt,
  };
}

export function cronTaskId(key: JobKey, instance: number): string {
  return `${key.role}-${key.environment}-${key.name}-${instance}-cron-${randomUUID()}`;
}

interface StartRequest {
  job: JobId;
  answer: (result: CronStartResult) => void;
  fail: (error: unknown) => void;
}

export class CronScheduler {
  private wanted = false;
  private wake: (() => void) | undefined;
  private stopping = false;
  private running: Promise<void> | undefined;
  private cancelTimer: (() => void) | undefined;
  private unsubscribe: (() => void) | undefined;
  private requests: StartRequest[] = [];
  private passListeners: (() => void)[] = [];

  constructor(private readonly deps: CronSchedulerDeps) {}

  start(): void {
    if (this.running) return;
    this.stopping = false;
    this.unsubscribe = this.deps.cluster.subscribe((update) => {
      if (update.task.cronRun !== undefined) this.poke();
    });
    this.wanted = true;
    this.running = this.loop();
  }

  /** Stops after the current pass; runs in progress keep running (the next leader follows them). */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    this.unsubscribe?.();
    this.cancelTimer?.();
    await this.running;
    this.running = undefined;
    for (const request of this.requests.splice(0)) {
      request.fail(new Error('the cron scheduler stopped before it could start the run'));
    }
  }

  get started(): boolean {
    return this.running !== undefined && !this.stopping;
  }

  /** Look again soon: a deployment changed the jobs, a task changed state. */
  poke(): void {
    this.wanted = true;
    this.wake?.();
  }

  /** Starts a run of `job` now, under its collision policy (`borealis cron start`). */
  startNow(job: JobId): Promise<CronStartResult> {
    if (!this.started) return Promise.reject(new Error('the cron scheduler is not running'));
    return new Promise((answer, fail) => {
      this.requests.push({ job, answer, fail });
      this.poke();
    });
  }

  /** Resolves when the next pass after this call has finished (tests). */
  nextPass(): Promise<void> {
    return new Promise((resolve) => this.passListeners.push(resolve));
  }

  private async loop(): Promise<void> {
    while (!this.stopping) {
      if (!this.wanted) await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = undefined;
      if (this.stopping) break;
      this.wanted = false;
      const requests = this.requests.splice(0);
      let wakeAt: number | undefined;
      try {
        wakeAt = await this.pass(requests);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        this.deps.log(`cron: pass failed: ${message}`, { error: message }, 'error');
        for (const request of requests) request.fail(error);
        wakeAt = this.deps.clock.now() + RETRY_AFTER_FAILURE_MS;
      }
      this.armTimer(wakeAt);
      for (const listener of this.passListeners.splice(0)) listener();
    }
    for (const listener of this.passListeners.splice(0)) listener();
  }

  private armTimer(at: number | undefined): void {
    this.cancelTimer?.();
    this.cancelTimer = at === undefined ? undefined : this.deps.clock.timer(at, () => this.poke());
  }

  /** One look at every cron job; returns when to look again. */
  private async pass(requests: readonly StartRequest[]): Promise<number | undefined> {
    const [recorded, states, tasks] = await Promise.all([
      this.deps.records.jobs(),
      this.deps.cron.listVersioned(),
      this.deps.cluster.snapshot(),
    ]);
    const jobs = new Map(
      recorded.flatMap((record) => (cronJobOf(record) ? [[record.id, record] as const] : [])),
    );
    const stateById = new Map(states.map((entry) => [entry.state.jobId, entry]));
    const tasksByJob = cronTasksByJob(tasks);
    const ids = new Set<JobId>([
      ...jobs.keys(),
      ...stateById.keys(),
      ...requests.map((request) => request.job),
    ]);
    let wakeAt: number | undefined;
    for (const id of [...ids].sort()) {
      const asks = requests.filter((request) => request.job === id);
      const next = await this.stepJob(id, jobs.get(id), stateById.get(id), tasksByJob.get(id), asks);
      if (next !== undefined) wakeAt = Math.min(wakeAt ?? Infinity, next);
    }
    return wakeAt;
  }

  private async stepJob(
    id: JobId,
    record: RecordedJob | undefined,
    read: VersionedCronState | undefined,
    tasks: ReadonlyMap<string, ObservedTask> | undefined,
    requests: readonly StartRequest[],
  ): Promise<number | undefined> {
    const input = {
      job: record ? cronJobOf(record) : undefined,
      state: read?.state,
      tasks: tasks ?? new Map<string, ObservedTask>(),
      now: this.deps.clock.now(),
      newTaskId: cronTaskId,
    };
    // Each request is its own step, so two requests in one pass start two runs (or one and a skip).
    const steps = [stepCron(input)];
    for (const _request of requests)
      steps.push(stepCron({ ...input, state: steps.at(-1)!.state, startNow: true }));
    const result = mergeSteps(steps, read);
    const answers = steps
      .slice(1)
      .map(
        (step) =>
          step.started ?? { refused: 'not_cron' as const, detail: 'no cron job of that name is applied' },
      );
    if (result.changed && result.state) {
      try {
        await this.deps.cron.put(result.state, read?.version ?? null);
      } catch (error) {
        if (!(error instanceof StateConflictError)) throw error;
        // Someone else wrote this job's record: nothing is acted on, and the next pass reads it again.
        this.deps.log(
          `cron: ${id}: its record changed under this scheduler; looking again`,
          { job: id },
          'warn',
        );
        for (const request of requests) request.fail(error);
        this.poke();
        return undefined;
      }
    }
    requests.forEach((request, index) => request.answer(answers[index]!));
    if (result.events.some((event) => event.type === 'run_started')) failpoint('cron-recorded', id);
    await this.act(id, record, result);
    return result.wakeAt;
  }

  /** Kills, launches and forgets what the saved step asked for, then tells of it. */
  private async act(id: JobId, record: RecordedJob | undefined, result: CronStepResult): Promise<void> {
    const { cluster } = this.deps;
    if (result.kills.length > 0) await cluster.kill(result.kills);
    const launches = record ? launchesOf(record, result) : [];
    if (launches.length > 0) await cluster.launch(launches);
    if (result.forget.length > 0) await cluster.forget(result.forget);
    for (const event of result.events) {
      this.logEvent(id, event);
      this.deps.reporter?.cronEvent(id, event);
    }
  }

  private logEvent(id: JobId, event: CronEvent): void {
    const { run } = event;
    const fields = { job: id, run: run.id, outcome: run.outcome, event: `cron_${event.type}` };
    const level = run.outcome === 'failed' || event.type === 'ticks_missed' ? 'warn' : 'info';
    this.deps.log(`cron: ${id}: ${describeEvent(event)}`, fields, level);
  }
}

function describeEvent(event: CronEvent): string {
  const { run } = event;
  switch (event.type) {
    case 'run_started':
      return `run ${run.id} started (${run.instances.length} instance${run.instances.length === 1 ? '' : 's'}, ${run.trigger})`;
    case 'run_ended':
      return `run ${run.id} ${outcomeWords(run.outcome)}${run.detail ? `: ${run.detail}` : ''}`;
    case 'tick_skipped':
      return `tick ${new Date(run.scheduledAt).toISOString()} skipped: ${run.detail ?? ''}`;
    case 'ticks_missed':
      return `missed: ${run.detail ?? ''} (from ${new Date(run.scheduledAt).toISOString()})`;
    case 'instance_relaunched':
      return `run ${run.id}: instance ${event.instance} failed (${event.failures}); relaunched`;
  }
}

const OUTCOME_WORDS: Record<CronOutcome, string> = {
  running: 'is running',
  succeeded: 'succeeded',
  failed: 'failed',
  killed: 'was killed',
  skipped: 'was skipped',
  missed: 'was missed',
};

function outcomeWords(outcome: CronOutcome): string {
  return OUTCOME_WORDS[outcome];
}

/** The launches a step asked for, as the cluster takes them: the job record's configuration. */
function launchesOf(record: RecordedJob, result: CronStepResult): TaskLaunch[] {
  const runs = new Map<string, CronRun>((result.state?.runs ?? []).map((run) => [run.id, run]));
  const config = recordedInstance(record);
  const key = cronJobOf(record)!.key;
  return result.launches
    .filter((launch) => runs.get(launch.runId)?.configHash === record.configHash)
    .map((launch) => ({
      taskId: launch.taskId,
      jobId: record.id,
      key,
      instance: launch.instance,
      configHash: record.configHash,
      commit: record.commit,
      config,
      cronRun: launch.runId,
    }));
}

/** Several steps of one job in one pass as one: the last state, every action once, every event. */
function mergeSteps(steps: readonly CronStepResult[], read: VersionedCronState | undefined): CronStepResult {
  const last = steps.at(-1)!;
  const unique = <T>(items: T[], key: (item: T) => string) => [
    ...new Map(items.map((item) => [key(item), item])).values(),
  ];
  return {
    ...last,
    changed: last.state !== undefined && JSON.stringify(last.state) !== JSON.stringify(read?.state),
    launches: unique(
      steps.flatMap((step) => step.launches),
      (launch) => launch.taskId,
    ),
    kills: unique(
      steps.flatMap((step) => step.kills),
      (id) => id,
    ),
    forget: unique(
      steps.flatMap((step) => step.forget),
      (id) => id,
    ),
    events: steps.flatMap((step) => step.events),
  };
}

function cronTasksByJob(tasks: readonly ObservedTask[]): Map<JobId, Map<string, ObservedTask>> {
  const byJob = new Map<JobId, Map<string, ObservedTask>>();
  for (const task of tasks) {
    if (task.cronRun === undefined) continue;
    let jobTasks = byJob.get(task.jobId);
    if (!jobTasks) byJob.set(task.jobId, (jobTasks = new Map<string, ObservedTask>()));
    jobTasks.set(task.taskId, task);
  }
  return byJob;
}
