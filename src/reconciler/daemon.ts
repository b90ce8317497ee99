/**
 * The `watch` daemon: one worker that, whenever something wakes it, brings the cluster to
 * the tracked branch head. Triggers only set a flag and wake the worker, so a burst of
 * them costs one pass, and passes never overlap. Level-triggered: the pass looks at the
 * branch head and the records, never at what the trigger claimed.
 */
import { isTerminal, type Cluster, type ObservedTask } from '../cluster/types.js';
import type { DeployProgress, HaltRequest } from '../deploy/executor.js';
import type { Leadership } from '../leadership.js';
import type { CommitInfo, TrackedSource } from '../source/tracked.js';
import { currentProducer, SpecCache } from '../jobspec/spec-cache.js';
import type { JobSpec } from '../jobspec/types.js';
import type { DeploymentLog, DeploymentRecord, Trigger } from '../state/deployments.js';
import type { Records } from '../state/records.js';
import { deployCommit, recordSuperseded, type DeployCommitContext } from './deploy-commit.js';
import { applyPass, forgetHistory, planPass, type PassInput } from './reconcile.js';
import { hasWork, summaryLine } from '../plan/describe.js';
import { IncrementalPlanner } from '../plan/incremental.js';
import type { Plan } from '../plan/types.js';
import { DEFAULT_KILL_WINDOW } from '../plan/guard.js';
import { withKillWindow } from './kill-window.js';
import type { DriftPolicy } from '../drift/detect.js';
import type { NotificationEvent } from '../notify/events.js';
import { Reporter } from './reporter.js';
import { CommitLoader } from './commit-loader.js';
import type { PassKind } from '../metrics/metrics.js';
import { problemLines } from '../jobspec/problem-text.js';
import type { Log } from '../util/log.js';
import type { LoadLimits } from '../jobspec/limits.js';
import { DEFAULT_LOAD_BUDGET, OffThreadLoader, type LoadBudget } from './off-thread.js';
import type { CronScheduler } from '../cron/scheduler.js';
import type { CronStartResult } from '../cron/step.js';
import type { JobId } from '../jobspec/types.js';

/** The deployment's own settings are declared once, in `DeployCommitContext`. */
export interface DaemonOptions extends Pick<
  DeployCommitContext,
  'allowMassKill' | 'killWindow' | 'requireSigned' | 'prune'
> {
  /** How often a remote is fetched (ms); jittered by up to 20% so replicas do not fetch in step. */
  pollMs: number;
  /** How often the cluster is compared with the applied commit even without a commit (ms). */
  resyncMs: number;
  /** Apply new commits as they arrive (default); false: announce them and apply on request. */
  autoApply?: boolean;
  drift?: DriftPolicy;
  /** An open drift is announced again no more often than this (ms; default 4 hours). */
  reminderMs?: number;
  /** What one file and one commit may weigh; by default the defaults. */
  loadLimits?: LoadLimits;
  /** The time and memory loading one commit may take, in its worker thread. */
  loadBudget?: LoadBudget;
}

const DEFAULT_REMINDER_MS = 4 * 3_600_000;
/** A rejected commit's problems logged one per line, up to this many. */
const LOGGED_PROBLEMS = 20;

export interface PreviewRequest {
  /** A full commit id: what is planned is named exactly, never by a ref that may move. */
  commit: string;
  retryHeld?: boolean;
  prune?: boolean;
}

/** A preview's plan, or why this daemon will not give one (the asker then plans itself). */
export type PreviewResult = { plan: Plan } | { refused: string };

/** Publishes healthy instances for service discovery (ZooKeeper ServerSets). */
export interface Announcer {
  sync(jobs: readonly JobSpec[], tasks: readonly ObservedTask[]): Promise<void>;
  /** Withdraws members before their tasks are killed, so clients stop sending them traffic first. */
  withdraw(taskIds: string[]): Promise<void>;
}

export interface DaemonDeps {
  source: TrackedSource;
  clusterName: string;
  cluster: Cluster;
  records: Records;
  deployments: DeploymentLog;
  log: Log;
  onProgress?: (progress: DeployProgress) => void;
  /** Called after every deployment record is closed (for notes, chat, metrics). */
  onDeployment?: (record: DeploymentRecord) => void | Promise<void>;
  now?: () => number;
  /** Only the leader reconciles; without one (a single reconciler) the daemon always leads. */
  leadership?: Leadership;
  announcer?: Announcer;
  /** Chat and webhooks: returns at once, never fails a pass. */
  notify?: (event: NotificationEvent) => void;
  /** A web page of a commit, when the repository's host is known. */
  commitUrl?: (sha: string) => string | undefined;
  metrics?: DaemonMetrics;
  /** Starts cron runs at their ticks; runs only while this daemon leads. */
  cron?: CronScheduler;
}

/** What the daemon reports as it works (src/metrics/ implements it for Prometheus). */
export interface DaemonMetrics {
  passFinished(kind: PassKind, seconds: number, ok: boolean, at: number): void;
  planned(plan: Plan): void;
  deployed(outcome: string): void;
}

export class Daemon {
  private pending: Trigger | undefined;
  private wake: (() => void) | undefined;
  private stopping = false;
  private busy = false;
  private headMoved = false;
  /** Source problems already told (a failed fetch, a missing branch), so each is logged once. */
  private readonly sourceProblems = new Set<'fetch' | 'branch'>();
  /** The commit being deployed, so a ref change can be told apart from a new head. */
  private deploying: string | undefined;
  private cachedRepository: { commit: string; jobs: JobSpec[] } | undefined;
  private running: Promise<void> | undefined;
  private readonly cleanups: (() => Promise<void> | void)[] = [];
  /** Resolves each time a pass ends: for tests and for `--once`. */
  private passListeners: (() => void)[] = [];
  /** With auto-apply off: the head may be applied on the next pass (`POST /api/sync`). */
  private syncRequested = false;
  private readonly reporter: Reporter;
  /** Validated jobs by file, across commits: a commit that changes one file parses one file. */
  private readonly specCache = new SpecCache(currentProducer());
  /** Each commit's jobs from the last commit's: a one-file commit reads one file. */
  private readonly loader: CommitLoader;
  /** Plans across passes: a job whose spec, record and tasks are unchanged is not decided again. */
  private readonly planner = new IncrementalPlanner();
  /**
   * Previews load and plan with their own: one asks for other commits and other options
   * (an explicit plan retries held updates), which would otherwise leave the next pass
   * nothing to start from and every decision to make again.
   */
  private readonly previewPlanning: { loader: CommitLoader; planner: IncrementalPlanner };
  /** One preview at a time: each costs a plan, and anyone who can reach the API may ask. */
  private previewing = false;

  constructor(
    private readonly deps: DaemonDeps,
    private readonly options: DaemonOptions,
  ) {
    // Job files are loaded in worker threads, so a costly commit cannot stop this one.
    const loading = () => {
      const runner = new OffThreadLoader(options.loadBudget ?? DEFAULT_LOAD_BUDGET);
      this.cleanups.push(() => runner.close());
      return { cache: this.specCache, limits: options.loadLimits, runner };
    };
    this.loader = new CommitLoader(deps.source, loading());
    this.previewPlanning = {
      loader: new CommitLoader(deps.source, loading()),
      planner: new IncrementalPlanner(),
    };
    this.reporter = new Reporter({
      ...deps,
      loader: this.loader,
      policy: options.drift,
      reminderMs: options.reminderMs ?? DEFAULT_REMINDER_MS,
    });
  }

  async start(): Promise<void> {
    const stopWatching = await this.deps.source.watchRefs(() => this.trigger('watch'));
    this.cleanups.push(stopWatching);
    this.cleanups.push(
      this.deps.cluster.subscribe((update) => {
        if (isTerminal(update.task.state)) this.trigger('resync');
        // Health changes move announcements; they need no reconciliation pass.
        else if (this.deps.announcer) void this.announce();
      }),
    );
    this.every(this.options.resyncMs, 'resync');
    const leadership = this.deps.leadership;
    if (leadership) {
      const describe = (leading: boolean) =>
        this.deps.log(
          leading ? 'elected leader: reconciling' : 'not the leader: standing by, serving reads only',
        );
      describe(leadership.isLeader());
      this.cleanups.push(
        leadership.onChange((leading) => {
          describe(leading);
          // A new leader looks at everything at once, resuming any update left in flight.
          if (leading) this.trigger('manual');
          else this.wake?.();
        }),
      );
    }
    if (this.deps.source.remote) this.every(this.options.pollMs, 'poll', 0.2);
    this.followLeadershipWithCron();
    this.pending = 'manual';
    this.running = this.loop();
  }

  /** Asks for a pass; cheap and safe to call from anywhere, any number of times. */
  trigger(kind: Trigger): void {
    if ((kind === 'watch' || kind === 'webhook' || kind === 'poll') && this.deploying)
      void this.checkHeadMoved(kind);
    // A commit-carrying trigger outranks a resync: it decides the record's trigger field.
    if (!this.pending || this.pending === 'resync') this.pending = kind;
    this.wake?.();
  }

  /** The cron scheduler runs exactly while this daemon leads, and stops with it. */
  private followLeadershipWithCron(): void {
    const { cron, leadership } = this.deps;
    if (!cron) return;
    if (!leadership || leadership.isLeader()) cron.start();
    if (leadership) {
      this.cleanups.push(leadership.onChange((leading) => (leading ? cron.start() : void cron.stop())));
    }
    this.cleanups.push(() => cron.stop());
  }

  /** Starts a run of a cron job now (`borealis cron start`); only the leader schedules. */
  async startCronRun(
    job: JobId,
  ): Promise<CronStartResult | { refused: 'not_leader' | 'no_scheduler'; detail: string }> {
    const { cron, leadership } = this.deps;
    if (!cron) return { refused: 'no_scheduler', detail: 'this reconciler runs no cron scheduler' };
    if ((leadership && !leadership.isLeader()) || !cron.started) {
      return {
        refused: 'not_leader',
        detail: 'this reconciler is not the leader; the leader starts cron runs',
      };
    }
    return cron.startNow(job);
  }

  /** Applies the branch head on the next pass even with auto-apply off (`POST /api/sync`). */
  requestSync(): void {
    this.syncRequested = true;
    this.trigger('manual');
  }

  /** Graceful: the current rollout step finishes and is saved, then the loop exits. Tasks keep running. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    await this.running;
    for (const cleanup of this.cleanups.splice(0)) await cleanup();
  }

  /** Whether a pass is running or waiting to run. */
  get reconciling(): boolean {
    return this.busy || this.pending !== undefined;
  }

  /** Resolves once no pass is running and none is pending (everything triggered so far is done). */
  async settled(): Promise<void> {
    while (this.busy || this.pending) await this.nextPass();
  }

  /** Resolves when the next pass after this call has finished. */
  nextPass(): Promise<void> {
    return new Promise((resolve) => this.passListeners.push(resolve));
  }

  /** While a deployment runs, a newer branch head makes it stop at the next batch boundary. */
  private async checkHeadMoved(kind: Trigger): Promise<void> {
    try {
      if (kind === 'webhook' || kind === 'poll') await this.deps.source.refresh();
      const head = await this.deps.source.head();
      if (this.deploying && head !== this.deploying) this.headMoved = true;
    } catch (error) {
      this.deps.log(`cannot read the branch head: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  private every(ms: number, kind: Trigger, jitter = 0): void {
    let timer: NodeJS.Timeout;
    const schedule = () => {
      timer = setTimeout(
        () => {
          this.trigger(kind);
          schedule();
        },
        ms * (1 + jitter * Math.random()),
      );
      timer.unref();
    };
    schedule();
    this.cleanups.push(() => clearTimeout(timer));
  }

  private async loop(): Promise<void> {
    while (!this.stopping) {
      if (!this.pending) await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = undefined;
      const trigger = this.pending;
      this.pending = undefined;
      if (!trigger || this.stopping) continue;
      if (this.deps.leadership && !this.deps.leadership.isLeader()) {
        for (const listener of this.passListeners.splice(0)) listener();
        continue;
      }
      this.busy = true;
      const started = this.now();
      let kind: PassKind = 'resync';
      let ok = false;
      try {
        kind = await this.pass(trigger);
        ok = true;
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        this.deps.log(`pass failed (${trigger}): ${message}`, { trigger, error: message }, 'error');
      }
      this.deps.metrics?.passFinished(kind, (this.now() - started) / 1000, ok, this.now());
      this.busy = false;
      // A deployment may have scheduled, changed or descheduled cron jobs.
      this.deps.cron?.poke();
      await this.announce();
      for (const listener of this.passListeners.splice(0)) listener();
    }
  }

  private async pass(trigger: Trigger): Promise<PassKind> {
    if (trigger === 'poll' || trigger === 'webhook' || trigger === 'manual') await this.refresh();
    this.headMoved = false;
    const head = await this.branchHead();
    if (head === undefined) {
      await this.healApplied();
      return 'resync';
    }
    const [newest] = await this.deps.deployments.list(1);
    if (newest && newest.commit === head && newest.outcome !== 'in_progress') {
      await this.resync(head, newest);
      return 'resync';
    }
    if (this.options.autoApply === false && !this.syncRequested) {
      await this.resync(head, undefined);
      return 'resync';
    }
    this.syncRequested = false;
    const commits = await this.deps.source.commitsSince(newest?.commit ?? null, head);
    await recordSuperseded(commits.slice(1), head, trigger, this.context());
    this.deploying = head;
    // The start is logged from the commit deployCommit reads anyway: no second read before planning.
    const context = {
      ...this.context(),
      onStart: (info: CommitInfo, resuming: boolean) => this.logDeploymentStart(info, resuming),
    };
    const record = await deployCommit(head, trigger === 'resync' ? 'watch' : trigger, context).finally(() => {
      this.deploying = undefined;
    });
    this.logDeploymentEnd(record);
    this.deps.metrics?.deployed(record.outcome);
    await this.reporter.deploymentFinished(record);
    await this.deps.onDeployment?.(record);
    await this.lookForDrift(head, record);
    return 'deployment';
  }

  /** Fetches the remote; a failed fetch is told once, and the commits fetched before are used meanwhile. */
  private async refresh(): Promise<void> {
    try {
      await this.deps.source.refresh();
      this.sourceProblems.delete('fetch');
    } catch (error) {
      this.tellSourceProblem('fetch', `cannot fetch ${this.deps.source.description}`, error);
    }
  }

  /** The branch head; undefined while the branch cannot be read (told once, and again when it is back). */
  private async branchHead(): Promise<string | undefined> {
    try {
      const head = await this.deps.source.head();
      if (this.sourceProblems.delete('branch'))
        this.deps.log(`branch ${this.deps.source.branch} is back: deploying resumes`, {
          event: 'branch_back',
        });
      return head;
    } catch (error) {
      this.tellSourceProblem('branch', `cannot read branch ${this.deps.source.branch}`, error);
      return undefined;
    }
  }

  private tellSourceProblem(kind: 'fetch' | 'branch', what: string, error: unknown): void {
    if (this.sourceProblems.has(kind)) return;
    this.sourceProblems.add(kind);
    const message = error instanceof Error ? error.message : String(error);
    this.deps.log(
      `${what}: ${message}; healing the applied commit until it can be read again`,
      { event: kind === 'branch' ? 'branch_missing' : 'fetch_failed', error: message },
      'warn',
    );
  }

  /** Without a branch head to go by, the applied commit is still what should run. */
  private async healApplied(): Promise<void> {
    const applied = await this.deps.records.applied();
    if (applied) await this.resync(applied.commit, undefined);
  }

  private logDeploymentStart(info: CommitInfo, resuming: boolean): void {
    const commit = info.id;
    const subject = info.message.split('\n')[0] ?? '';
    this.deps.log(
      `${resuming ? 'resuming' : 'deploying'} ${commit.slice(0, 12)} "${subject}" by ${info.author.name}`,
      {
        event: resuming ? 'deployment_resumed' : 'deployment_started',
        commit,
        author: info.author.name,
        subject,
      },
    );
  }

  /** The outcome in one line; a rejected commit's problems follow, one per line. */
  private logDeploymentEnd(record: DeploymentRecord): void {
    const subject = record.message.split('\n')[0] ?? '';
    const summary = record.plan ? summaryLine(record.plan) : undefined;
    this.deps.log(
      `${record.commit.slice(0, 12)} "${subject}" by ${record.author.name}: ${record.outcome}${summary ? ` (${summary})` : ''}${record.detail ? `: ${record.detail}` : ''}`,
      {
        event: 'deployment_finished',
        commit: record.commit,
        author: record.author.name,
        subject,
        outcome: record.outcome,
        summary,
        reason: record.reason,
        detail: record.detail,
      },
      record.outcome === 'succeeded' || record.outcome === 'noop' ? 'info' : 'warn',
    );
    const problems = record.errors;
    const lines = problemLines(problems, LOGGED_PROBLEMS);
    lines.forEach((line, index) => {
      const problem = problems[index];
      const where = problem && index < LOGGED_PROBLEMS ? { ...problem } : {};
      this.deps.log(`  ${line}`, { event: 'validation_problem', commit: record.commit, ...where }, 'warn');
    });
  }

  /**
   * No new commit to apply: heal what drifted from the applied commit (lost instances,
   * orphans), after looking for drift, so what was missing is seen before it is healed.
   */
  private async resync(head: string, headRecord: DeploymentRecord | undefined): Promise<void> {
    // One view of the tasks for the drift look and the plan: a task that appears between two
    // reads would otherwise be killed (an orphan, a surplus) without ever being reported.
    const observed = await this.deps.cluster.snapshot();
    const applied = await this.lookForDrift(head, headRecord, observed);
    if (!applied) return;
    const input = { ...this.passInput(applied.commit, applied.jobs), observed };
    const plan = await planPass(input);
    this.deps.metrics?.planned(plan);
    if (plan.nextWakeAt !== undefined) this.wakeAt(plan.nextWakeAt);
    if (!hasWork(plan)) return;
    if (plan.massKill) return this.deps.log(`resync refused: ${plan.massKill.message}`);
    const summary = plan.changes
      .filter((c) => c.action !== 'noop')
      .map((c) => `${c.job} ${c.action}`)
      .join(', ');
    this.deps.log(`resync: ${summary}`);
    await applyPass(input, plan, {
      halt: () => this.haltRequest(),
      onProgress: this.deps.onProgress,
      beforeKill: this.deps.announcer ? (ids) => this.deps.announcer!.withdraw(ids) : undefined,
    });
    await forgetHistory(input);
  }

  /** Drift against the applied commit; returns the applied commit and its jobs, when there is one. */
  private async lookForDrift(
    head: string,
    headRecord: DeploymentRecord | undefined,
    observed?: readonly ObservedTask[],
  ): Promise<{ commit: string; jobs: JobSpec[] } | undefined> {
    const record = await this.deps.records.applied();
    const jobs = record ? await this.jobsAt(record.commit) : undefined;
    const applied = record && jobs ? { commit: record.commit, jobs } : undefined;
    const recheckAt = await this.reporter.lookForDrift({ head, headRecord, applied, observed });
    if (recheckAt !== undefined) this.wakeAt(recheckAt);
    return applied;
  }

  private now(): number {
    return (this.deps.now ?? Date.now)();
  }

  /** Brings the ServerSet members in line with what runs healthy now; never fails a pass. */
  private async announce(): Promise<void> {
    const announcer = this.deps.announcer;
    if (!announcer || (this.deps.leadership && !this.deps.leadership.isLeader())) return;
    try {
      const applied = await this.deps.records.applied();
      const jobs = applied ? ((await this.jobsAt(applied.commit)) ?? []) : [];
      await announcer.sync(jobs, await this.deps.cluster.snapshot());
    } catch (error) {
      this.deps.log(`announcement failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  /**
   * What applying a commit would change, planned exactly as a pass plans it, for
   * `borealis plan` (GET /api/plan). The leader holds the specs, records and tasks a fresh
   * process would spend a second reading, and it is the one that would apply the commit.
   * Refused when it does not lead, is already previewing, or the commit does not load
   * cleanly (the asker then plans itself, and reports the commit's problems).
   */
  async preview(request: PreviewRequest): Promise<PreviewResult> {
    if (this.deps.leadership && !this.deps.leadership.isLeader()) return { refused: 'not the leader' };
    if (this.previewing) return { refused: 'busy with another preview' };
    this.previewing = true;
    try {
      const { loader, planner } = this.previewPlanning;
      const jobs = await this.loadJobs(request.commit, loader);
      if (!jobs) return { refused: `${request.commit} has problems` };
      const { retryHeld, prune } = request;
      const input = { ...this.passInput(request.commit, jobs), retryHeld, prune, planner: planner.plan };
      const window = this.options.killWindow ?? DEFAULT_KILL_WINDOW;
      const plan = await withKillWindow(
        await planPass(input),
        this.deps.deployments,
        window,
        Infinity,
        this.now(),
      );
      return { plan };
    } catch (error) {
      return { refused: error instanceof Error ? error.message : String(error) };
    } finally {
      this.previewing = false;
    }
  }

  /** The applied commit's jobs, loaded once per commit: resyncs run often, commits change rarely. */
  private async jobsAt(commit: string): Promise<JobSpec[] | undefined> {
    if (this.cachedRepository?.commit === commit) return this.cachedRepository.jobs;
    const jobs = await this.loadJobs(commit);
    if (jobs) this.cachedRepository = { commit, jobs };
    return jobs;
  }

  /** A commit's jobs through the spec cache; undefined when the commit has problems. */
  private async loadJobs(commit: string, loader = this.loader): Promise<JobSpec[] | undefined> {
    const repository = await loader.load(commit);
    return repository.problems.length > 0 ? undefined : repository.jobs;
  }

  /** A pass over a commit's jobs as this daemon plans it: its cluster, records, clock and planner. */
  private passInput(commit: string, jobs: readonly JobSpec[]): PassInput {
    return {
      commit,
      clusterName: this.deps.clusterName,
      jobs,
      cluster: this.deps.cluster,
      records: this.deps.records,
      now: this.deps.now,
      prune: this.options.prune,
      planner: this.planner.plan,
    };
  }

  /** Wakes a resync when a deferred relaunch's back-off expires. */
  private wakeAt(at: number): void {
    const timer = setTimeout(() => this.trigger('resync'), Math.max(0, at - (this.deps.now ?? Date.now)()));
    timer.unref();
  }

  private haltRequest(): HaltRequest {
    if (this.stopping) return 'now';
    if (this.deps.leadership && !this.deps.leadership.isLeader()) return 'now';
    return this.headMoved ? 'boundary' : 'no';
  }

  private context(): DeployCommitContext {
    return {
      source: this.deps.source,
      clusterName: this.deps.clusterName,
      cluster: this.deps.cluster,
      records: this.deps.records,
      deployments: this.deps.deployments,
      allowMassKill: this.options.allowMassKill,
      killWindow: this.options.killWindow,
      requireSigned: this.options.requireSigned,
      onProgress: this.deps.onProgress,
      halt: () => this.haltRequest(),
      prune: this.options.prune,
      loader: this.loader,
      planner: this.planner.plan,
      onPlan: (plan) => {
        this.deps.metrics?.planned(plan);
        void this.reporter.deploymentStarted(plan);
      },
      // The next resync plans against this commit: keep its jobs rather than parse it again.
      onLoaded: (commit, jobs) => (this.cachedRepository = { commit, jobs }),
      beforeKill: this.deps.announcer ? (ids) => this.deps.announcer!.withdraw(ids) : undefined,
      now: this.deps.now,
    };
  }
}
