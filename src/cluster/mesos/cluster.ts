/**
 * Borealis as a Mesos framework, behind the `Cluster` port. Launches wait in a queue
 * until an offer fits (pure `placeInstances`); task metadata (job, instance, config hash,
 * commit, agent, ports) is saved in the state store before a task is launched, and again
 * when it ends (`task-records.ts`), so a restarted reconciler rebuilds every ObservedTask
 * and reconciles the live ones explicitly. The framework id is saved too, so a restart
 * within failover_timeout re-subscribes as the same framework and Mesos keeps the tasks
 * running.
 */
import {
  isTerminal,
  type Cluster,
  type ObservedTask,
  type PlacementProblem,
  type PlannedLaunch,
  type TaskLaunch,
  type TaskState,
  type TaskStatusUpdate,
} from '../types.js';
import type { StateStore } from '../../state/types.js';
import { AgentInventory } from './agent-inventory.js';
import { TaskTable } from './task-table.js';
import { placementProblems, type ReleasedResources, type StayingTask } from './capacity.js';
import { resourceTotals } from './operator-views.js';
import { attributeValues, type MesosOffer } from './offer.js';
import { OperatorClient } from './operator-client.js';
import { pendingOf, placeInstances, type RunningTask } from './placement.js';
import { instanceKey, SpreadPatience } from './spread-patience.js';
import { sendCall, subscribe, type SchedulerEvent, type Subscription } from './scheduler-client.js';
import { calls, type FrameworkSettings, type SchedulerCall } from './scheduler-messages.js';
import { ExplicitReconciliation } from './reconciliation.js';
import {
  isNews,
  reportedState,
  reasonOf,
  statusView,
  taskStateOf,
  type KnownStatus,
  type TaskStatusView,
} from './status-map.js';
import { taskInfo } from './task-info.js';
import { launchRecord, TaskRecords, type TaskRecord } from './task-records.js';

export interface MesosClusterOptions {
  masters: string[];
  /** Asked before every (re)subscribe, e.g. to find the leader in ZooKeeper after a failover. */
  resolveMasters?: () => Promise<string[]>;
  framework: FrameworkSettings;
  store: StateStore;
  log?: (line: string) => void;
  now?: () => number;
  /** Seconds a declined offer's resources stay away while launches wait (Mesos's default is 5). */
  refuseSeconds?: number;
  /** How long an instance may wait for offers that spread it better; see spread-patience.ts. */
  spreadPatienceMs?: number;
  /** Heartbeats missed before re-subscribing. */
  missedHeartbeats?: number;
  /** How long `start` waits for the first subscription. */
  startTimeoutMs?: number;
  /** Period of implicit reconciliation, which also surfaces tasks nobody remembers (Aurora: hourly). */
  implicitReconcileMs?: number;
  /** First wait for answers to explicit reconciliation before asking again (doubling, up to a minute). */
  reconcileRetryMs?: number;
}

interface Live extends Omit<TaskRecord, 'ended'>, KnownStatus {
  state: TaskState;
  healthy?: boolean;
  reason?: string;
  message?: string;
  updatedAt: number;
}

const FRAMEWORK_KEY = 'framework-id';

/** The framework id the driver subscribed as, kept in the state store; undefined before the first subscribe. */
export async function recordedFrameworkId(store: StateStore): Promise<string | undefined> {
  return (await store.get<string>(FRAMEWORK_KEY))?.value;
}

export class MesosCluster implements Cluster {
  readonly kind = 'mesos';
  private readonly tasks = new TaskTable<Live>();
  private readonly pending = new Map<string, TaskLaunch>();
  private readonly listeners = new Set<(update: TaskStatusUpdate) => void>();
  private subscription: Subscription | undefined;
  private suppressed = false;
  /**
   * Offers were declined with a refusal filter since the last REVIVE: until it is lifted,
   * the master offers new work only the agents just used, and one job's instances pile onto
   * them instead of spreading.
   */
  private filtered = false;
  private closed = false;
  private readonly now: () => number;
  private readonly log: (line: string) => void;
  private running: Promise<void> | undefined;
  private subscribed: (() => void) | undefined;
  private reconcileTimer: NodeJS.Timeout | undefined;
  private readonly reconciliation: ExplicitReconciliation;
  private readonly records: TaskRecords;
  private readonly spread: SpreadPatience;
  private readonly inventory = new AgentInventory({
    fetch: (master) => new OperatorClient({ masters: [master] }).getAgents(),
  });
  /** Bumped on every change to a task: `snapshot` is rebuilt only after one. */
  private revision = 0;
  private snapshotCache: { revision: number; tasks: ObservedTask[] } | undefined;
  /**
   * Each task's frozen view, dropped when that task changes: in a large cluster a stream of
   * status updates bumps the revision constantly, and rebuilding every view per snapshot
   * was most of a pass's CPU.
   */
  private readonly views = new WeakMap<Live, ObservedTask>();

  constructor(private readonly options: MesosClusterOptions) {
    this.now = options.now ?? Date.now;
    this.log = options.log ?? (() => {});
    this.records = new TaskRecords(options.store, this.log);
    this.spread = new SpreadPatience(options.spreadPatienceMs);
    this.reconciliation = new ExplicitReconciliation({
      send: (tasks) => this.call(calls.reconcile(tasks)),
      initialMs: options.reconcileRetryMs,
    });
  }

  /** Loads what the store remembers, subscribes, and keeps re-subscribing until closed. */
  async start(): Promise<void> {
    for (const record of await this.records.load()) this.tasks.set(liveOf(record, this.now()));
    this.revision++;
    const first = new Promise<void>((resolve) => (this.subscribed = resolve));
    this.running = this.subscribeLoop();
    this.reconcileTimer = setInterval(
      () => void this.call(calls.reconcile([])),
      this.options.implicitReconcileMs ?? 3_600_000,
    );
    this.reconcileTimer.unref();
    const limit = this.options.startTimeoutMs ?? 30_000;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`no Mesos master accepted the subscription within ${limit} ms`)),
        limit,
      );
    });
    try {
      await Promise.race([first, timeout]);
    } catch (error) {
      await this.close();
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  get frameworkId(): string | undefined {
    return this.subscription?.frameworkId;
  }

  /**
   * The same frozen array while no task changed, so what is built from it (the leader's
   * view served over HTTP) can be kept until it does: a large cluster's tasks are slow to
   * map and serialise.
   */
  snapshot(): Promise<readonly ObservedTask[]> {
    if (this.snapshotCache?.revision !== this.revision) {
      const tasks = [...this.tasks.values()].map((task) => this.observed(task));
      this.snapshotCache = { revision: this.revision, tasks: Object.freeze(tasks) as ObservedTask[] };
    }
    return Promise.resolve(this.snapshotCache.tasks);
  }

  async launch(launches: TaskLaunch[]): Promise<void> {
    for (const launch of launches) {
      if (this.tasks.has(launch.taskId) || this.pending.has(launch.taskId)) continue;
      this.pending.set(launch.taskId, launch);
      this.tasks.set({ ...launchRecord(launch, this.now()), state: 'PENDING', updatedAt: this.now() });
      this.revision++;
    }
    if ((this.suppressed || this.filtered) && this.pending.size > 0) await this.revive();
  }

  async kill(taskIds: string[]): Promise<void> {
    for (const taskId of taskIds) {
      const task = this.tasks.get(taskId);
      if (!task || isTerminal(task.state)) continue;
      this.markKillRequested(task);
      if (this.pending.delete(taskId)) {
        this.change(task, { state: 'KILLED', message: 'killed before it was launched' });
        continue;
      }
      await this.call(calls.kill(taskId, task.agentId));
    }
  }

  async forget(taskIds: string[]): Promise<void> {
    for (const taskId of taskIds) {
      const task = this.tasks.get(taskId);
      if (!task || !isTerminal(task.state)) continue;
      this.tasks.delete(taskId);
      this.revision++;
      await this.records.remove(taskId);
    }
  }

  /**
   * Checked against the agents the operator API reports now, as the subscribed master sees
   * them, and against this framework's own tasks as it knows them: the master's whole task
   * list would be slow in a large cluster and tell it nothing more.
   */
  async placementProblems(
    launches: readonly PlannedLaunch[],
    released: readonly string[],
  ): Promise<PlacementProblem[]> {
    const subscription = this.subscription;
    if (!subscription || launches.length === 0) return [];
    const agents = await this.inventory.agents(subscription.master);
    const releasedIds = new Set(released);
    // Only the launching jobs' staying tasks bear on the launches (their constraints).
    const staying: StayingTask[] = [];
    for (const jobId of new Set(launches.map((launch) => launch.jobId))) {
      for (const task of this.tasks.ofJob(jobId)) {
        if (!task.agentId || isTerminal(task.state) || releasedIds.has(task.taskId)) continue;
        staying.push({ jobId, agentId: task.agentId });
      }
    }
    // A task recorded by an older Borealis has no resources: it frees nothing here, so the
    // plan errs toward a warning.
    const freed: ReleasedResources[] = [];
    for (const taskId of releasedIds) {
      const task = this.tasks.get(taskId);
      if (task?.agentId && task.resources && !isTerminal(task.state))
        freed.push({ agentId: task.agentId, resources: task.resources });
    }
    return placementProblems({ launches, agents, staying, released: freed });
  }

  subscribe(listener: (update: TaskStatusUpdate) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.reconcileTimer);
    this.inventory.close();
    this.reconciliation.stop();
    this.subscription?.close();
    await this.running;
    await this.records.flush();
  }

  private async subscribeLoop(): Promise<void> {
    for (let attempt = 0; !this.closed;) {
      try {
        const frameworkId = await recordedFrameworkId(this.options.store);
        // Events are handled one at a time, in order, and only once the subscription (whose
        // stream id every call needs) is known: the first ones arrive before subscribe returns.
        let ready!: () => void;
        let queue = new Promise<void>((resolve) => (ready = resolve));
        const handle = (event: SchedulerEvent) => {
          queue = queue
            .then(() => this.onEvent(event))
            .catch((error: unknown) => this.log(`event ${event.type} failed: ${String(error)}`));
        };
        const masters = this.options.resolveMasters
          ? await this.options.resolveMasters()
          : this.options.masters;
        this.subscription = await subscribe({
          masters,
          framework: this.options.framework,
          frameworkId,
          onEvent: handle,
          missedHeartbeats: this.options.missedHeartbeats,
        });
        ready();
        attempt = 0;
        const reason = await this.subscription.ended;
        if (!this.closed) this.log(`subscription ended (${reason}); re-subscribing`);
      } catch (error) {
        this.log(`subscribe failed: ${error instanceof Error ? error.message : String(error)}`);
        await new Promise((resolve) => setTimeout(resolve, Math.min(250 * 2 ** attempt++, 10_000)));
      }
    }
  }

  private async onEvent(event: SchedulerEvent): Promise<void> {
    if (event.type === 'SUBSCRIBED') return this.onSubscribed();
    if (event.type === 'OFFERS')
      return this.onOffers((event.offers as { offers?: MesosOffer[] }).offers ?? []);
    if (event.type === 'UPDATE')
      return this.onUpdate(statusView((event.update as { status: Record<string, unknown> }).status));
    if (event.type === 'ERROR') this.log(`master error: ${JSON.stringify(event.error)}`);
  }

  /** After every (re)subscribe: remember the framework id, then ask for the truth about every known task. */
  private async onSubscribed(): Promise<void> {
    await this.options.store.put(FRAMEWORK_KEY, this.subscription!.frameworkId);
    // Refusal filters outlive a subscription: those a previous leader (or this driver before
    // a re-subscribe) declined with stay with the framework on the master. Until a REVIVE
    // they are assumed, or a launch could wait out a 300 s filter on every agent; launches
    // made before the subscription (whose REVIVE had no stream to go on) revive now.
    this.filtered = true;
    if (this.pending.size > 0) await this.revive();
    const known = [...this.tasks.values()].filter(
      (task) => !isTerminal(task.state) && !this.pending.has(task.taskId),
    );
    this.reconciliation.start(known.map((task) => ({ taskId: task.taskId, agentId: task.agentId })));
    this.inventory.prime(this.subscription!.master);
    this.subscribed?.();
    this.subscribed = undefined;
  }

  private async onOffers(offers: MesosOffer[]): Promise<void> {
    const offerIds = offers.map((offer) => offer.id.value);
    if (this.pending.size === 0) {
      await this.decline(offerIds, 300);
      if (!this.suppressed)
        await this.call(calls.suppress(this.options.framework.roles), () => (this.suppressed = true));
      // A launch may have arrived while SUPPRESS was in flight and seen nothing to undo.
      if (this.suppressed && this.pending.size > 0) await this.revive();
      return;
    }
    const launches = [...this.pending.values()];
    const byInstance = new Map(launches.map((launch) => [instanceKey(launch), launch]));
    const offersById = new Map(offers.map((offer) => [offer.id.value, offer]));
    const placement = placeInstances(launches.map(pendingOf), offers, this.runningTasks());
    const held = this.spread.hold(placement.launches, offers, this.now());
    const launching = placement.launches.filter((launch) => !held.has(instanceKey(launch.instance)));
    const byOffer = new Map<string, Record<string, unknown>[]>();
    const saves: TaskRecord[] = [];
    for (const placed of launching) {
      const launch = byInstance.get(instanceKey(placed.instance))!;
      const task = this.tasks.get(launch.taskId)!;
      const attributes = Object.fromEntries(attributeValues(offersById.get(placed.offerId)!));
      this.touched(task);
      Object.assign(task, {
        agentId: placed.agentId,
        hostname: placed.hostname,
        attributes,
        ports: placed.ports,
        resources: resourceTotals(placed.resources),
      });
      saves.push(recordFields(task));
      this.pending.delete(launch.taskId);
      const info = taskInfo(launch, {
        agentId: placed.agentId,
        hostname: placed.hostname,
        resources: placed.resources,
        ports: placed.ports,
      });
      byOffer.set(placed.offerId, [...(byOffer.get(placed.offerId) ?? []), info]);
    }
    // Saved before any launch, in one transaction per offer cycle: a reconciler that dies
    // right after ACCEPT still knows every task it launched.
    await this.records.saveLaunching(saves);
    // ACCEPT filters what it leaves of an offer for the default refuse_seconds, too.
    for (const [offerId, infos] of byOffer)
      await this.call(calls.launch([offerId], infos), () => (this.filtered = true));
    if (byOffer.size > 0) this.inventory.allocationChanged();
    const unused = offerIds.filter((id) => !byOffer.has(id));
    if (unused.length > 0) await this.decline(unused, this.options.refuseSeconds ?? 5);
    // Every agent offered again, so held instances see more than the agents just used.
    if (held.size > 0) await this.revive();
    for (const unplaced of placement.unplaced.slice(0, 1))
      this.log(
        `cannot place ${unplaced.instance.jobId}/${unplaced.instance.instance} yet: ${unplaced.reasons.join('; ')}`,
      );
  }

  private async onUpdate(status: TaskStatusView): Promise<void> {
    this.reconciliation.answered(status.taskId);
    const task = this.tasks.get(status.taskId);
    if (task) {
      this.applyStatus(task, status);
    } else if (!isTerminal(taskStateOf(status.state)) && status.agentId) {
      // A task this framework does not know (its metadata is gone): Aurora kills those.
      await this.call(calls.kill(status.taskId, status.agentId));
    }
    // Acknowledgements are independent of each other and of event order: send them without
    // holding up the next event (thousands arrive together when a large job starts).
    if (status.uuid && status.agentId)
      void this.call(calls.acknowledge(status.agentId, status.taskId, status.uuid));
  }

  private applyStatus(task: Live, status: TaskStatusView): void {
    if (!isNews(task, status)) return;
    // A reconciliation answer may leave health out; the task's health did not change for that.
    const healthy = status.healthy ?? (status.state === task.mesosState ? task.healthy : undefined);
    task.mesosState = status.state;
    if (status.timestamp !== undefined) task.timestamp = status.timestamp;
    if (status.agentId) task.agentId = status.agentId;
    this.change(task, {
      state: reportedState(status.state, task.hasHealthCheck, healthy),
      healthy,
      reason: reasonOf(status),
      message: status.message,
    });
  }

  private change(task: Live, update: Partial<Pick<Live, 'state' | 'healthy' | 'reason' | 'message'>>): void {
    const previous = task.state;
    const changed = update.state !== previous || update.healthy !== task.healthy;
    // Re-adoption answers every task with what is already known: keeping those tasks' views
    // (and the snapshot) lets the planner keep its decisions about their jobs too.
    const visible =
      changed ||
      ('reason' in update && update.reason !== task.reason) ||
      ('message' in update && update.message !== task.message);
    if (visible) this.touched(task);
    Object.assign(task, update);
    if (update.healthy === undefined) delete task.healthy;
    // A placed task that ended, or came back from an unreachable agent: its record says so.
    if (task.agentId && isTerminal(task.state) !== isTerminal(previous)) {
      this.records.update(recordFields(task));
      this.inventory.allocationChanged();
    }
    if (!changed) return;
    task.updatedAt = this.now();
    const observed = this.observed(task);
    for (const listener of this.listeners) listener({ task: observed, previous });
  }

  private runningTasks(): RunningTask[] {
    return [...this.tasks.values()]
      .filter((task) => !isTerminal(task.state) && task.agentId && task.hostname)
      .map((task) => ({
        jobId: task.jobId,
        agentId: task.agentId!,
        hostname: task.hostname!,
        attributes: task.attributes ?? {},
      }));
  }

  /** Remembered (and saved, so a restart still knows) so that its end counts as ours, not a crash. */
  private markKillRequested(task: Live): void {
    if (task.killRequested) return;
    this.touched(task);
    task.killRequested = true;
    if (task.agentId) this.records.update(recordFields(task));
  }

  /** Call before changing a task: the next snapshot shows it afresh. */
  private touched(task: Live): void {
    this.revision++;
    this.views.delete(task);
  }

  private observed(task: Live): ObservedTask {
    const cached = this.views.get(task);
    if (cached) return cached;
    const observed: ObservedTask = {
      taskId: task.taskId,
      jobId: task.jobId,
      instance: task.instance,
      configHash: task.configHash,
      commit: task.commit,
      state: task.state,
      updatedAt: task.updatedAt,
      launchedAt: task.launchedAt,
      host: task.hostname ?? '',
      ports: task.ports,
    };
    if (task.cronRun !== undefined) observed.cronRun = task.cronRun;
    if (task.healthy !== undefined) observed.healthy = task.healthy;
    if (task.reason) observed.reason = task.reason;
    if (task.message) observed.message = task.message;
    if (task.killRequested) observed.killRequested = true;
    this.views.set(task, Object.freeze(observed));
    return observed;
  }

  private decline(offerIds: string[], refuseSeconds: number): Promise<void> {
    return this.call(calls.decline(offerIds, refuseSeconds), () => (this.filtered = true));
  }

  /** Lifts suppression and every refusal filter: all agents are offered again. */
  private revive(): Promise<void> {
    return this.call(calls.revive(this.options.framework.roles), () => {
      this.suppressed = false;
      this.filtered = false;
    });
  }

  private async call(call: SchedulerCall, then?: () => void): Promise<void> {
    const subscription = this.subscription;
    if (!subscription || this.closed) return;
    try {
      await sendCall(subscription, call);
      then?.();
    } catch (error) {
      this.log(`${call.type} failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}

function recordFields(task: Live): TaskRecord {
  const { state, healthy: _healthy, reason, message, updatedAt, mesosState, timestamp, ...record } = task;
  if (!isTerminal(state)) return record;
  return { ...record, ended: { state, mesosState, reason, message, updatedAt, timestamp } };
}

/** A remembered task: as it ended, or STARTING until reconciliation says what it is. */
function liveOf(record: TaskRecord, now: number): Live {
  const { ended, ...fields } = record;
  if (!ended) return { ...fields, state: 'STARTING', updatedAt: now };
  return { ...fields, ...ended };
}
