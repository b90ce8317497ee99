/**
 * A test Mesos master: the v1 scheduler HTTP API on a real `http.createServer` bound to
 * 127.0.0.1, with simulated agents. index.ts lists the modules; NOTES.md §1 is the rulebook.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { epochNanos, type StatusFields } from './events.js';
import { handle } from './http.js';
import { allocate, rescindOffer } from './offers.js';
import { emptyPool } from './resources.js';
import type { Violation } from './schema.js';
import { runsHealthy } from './behaviour.js';
import { preload, type PreloadedFramework } from './preload.js';
import type { MasterInfo } from './events.js';
import type { Agent, AgentSpec, CallRecord, Framework, State, Task, TaskBehaviour } from './state.js';
import { closeStream, recoverOffers } from './stream.js';
import { agentLost, executorUpdate, killAll, releaseHeld, retryUnacknowledged } from './tasks.js';

export interface MesosMasterOptions {
  agents?: AgentSpec[];
  /** `heartbeat_interval_seconds` of SUBSCRIBED and the HEARTBEAT period (default 15). */
  heartbeatSeconds?: number;
  /** Period of the agent's retry of unacknowledged status updates (default 10 000 ms). */
  updateRetryMs?: number;
  /** Allocation cycle (Mesos `--allocation_interval`, default 1000 ms). */
  allocationIntervalMs?: number;
  /** `host:port` of the leading master: this one is then a non-leader and answers 307. */
  leader?: string;
  /** What each launched task does (default: runs, and is healthy at once when health-checked). */
  behaviour?: TaskBehaviour;
}

/** What the masters of one Mesos cluster share: the agents, their tasks, the frameworks. */
type World = Pick<
  State,
  | 'agents'
  | 'frameworks'
  | 'offers'
  | 'tasks'
  | 'violations'
  | 'calls'
  | 'operatorCalls'
  | 'faults'
  | 'counters'
>;

/** `count` identical agents (`agents(3, {...})` in the options). */
export function agents(count: number, spec: AgentSpec): AgentSpec[] {
  return Array.from({ length: count }, () => ({ ...spec, ports: [spec.ports[0], spec.ports[1]] }));
}

/** A read-only view of a task for assertions. */
export interface TaskView {
  taskId: string;
  frameworkId: string;
  agentId: string;
  name: string;
  state: string;
  unacknowledged: number;
}

export class MesosMaster {
  private readonly server: Server;
  private readonly state: State;
  private timers: NodeJS.Timeout[] = [];
  private violationsExpected = false;

  private constructor(options: MesosMasterOptions, world?: World) {
    const id = randomUUID();
    this.state = {
      config: {
        heartbeatSeconds: options.heartbeatSeconds ?? 15,
        updateRetryMs: options.updateRetryMs ?? 10_000,
        allocationIntervalMs: options.allocationIntervalMs ?? 1000,
        leader: options.leader,
        behaviour: options.behaviour ?? runsHealthy,
      },
      master: { id, hostname: '127.0.0.1', ip: '127.0.0.1', port: 0, version: '1.11.0' },
      ...(world ?? {
        agents: new Map(),
        frameworks: new Map(),
        offers: new Map(),
        tasks: new Map(),
        violations: [],
        calls: [],
        operatorCalls: [],
        faults: { updateDelayMs: 0, holding: false, unansweredReconciles: 0, held: [] },
        counters: { framework: 0, offer: 0 },
      }),
      hooks: { removeFramework: (fw) => this.removeFramework(fw), allocate: () => this.allocateIfLeading() },
    };
    if (!world) (options.agents ?? []).forEach((spec, i) => this.addAgent(spec, i));
    this.server = createServer((req, res) => {
      handle(this.state, req, res).catch((e: unknown) => {
        if (!res.headersSent) res.writeHead(500).end(String(e));
      });
    });
  }

  /** Starts a master on 127.0.0.1 with an ephemeral port; with `peer`, another master of the same cluster. */
  static async start(options: MesosMasterOptions = {}, peer?: MesosMaster): Promise<MesosMaster> {
    const master = new MesosMaster(options, peer?.world);
    await new Promise<void>((resolve) => master.server.listen(0, '127.0.0.1', resolve));
    master.state.master.port = (master.server.address() as AddressInfo).port;
    master.startTimers();
    return master;
  }

  private get world(): World {
    const { agents, frameworks, offers, tasks, violations, calls, operatorCalls, faults, counters } =
      this.state;
    return { agents, frameworks, offers, tasks, violations, calls, operatorCalls, faults, counters };
  }

  /** Only the leading master allocates, and agents resend unacknowledged updates only to it. */
  private startTimers(): void {
    const { allocationIntervalMs, updateRetryMs } = this.state.config;
    this.timers = [
      setInterval(() => this.allocateIfLeading(), allocationIntervalMs),
      setInterval(() => this.isLeading && retryUnacknowledged(this.state), updateRetryMs),
    ];
    this.timers.forEach((t) => t.unref());
  }

  private allocateIfLeading(): void {
    if (this.isLeading) allocate(this.state);
  }

  get isLeading(): boolean {
    return this.state.config.leader === undefined;
  }

  /** `host:port`, as other masters' 307s name it. */
  get address(): string {
    return `${this.state.master.hostname}:${this.state.master.port}`;
  }

  get masterInfo(): Readonly<MasterInfo> {
    return this.state.master;
  }

  /**
   * Leadership moves: `leader` undefined makes this master lead, otherwise it follows
   * `leader` (answering 307). A master that stops leading drops its subscriptions and
   * forgets its offers, as a failed-over Mesos master does; the frameworks must
   * re-subscribe to the new leader, and their tasks keep running.
   */
  follow(leader: MesosMaster | undefined): void {
    const wasLeading = this.isLeading;
    this.state.config.leader = leader?.address;
    if (!wasLeading || this.isLeading) return;
    for (const fw of this.state.frameworks.values()) {
      closeStream(fw);
      recoverOffers(this.state, fw.id);
    }
  }

  private addAgent(spec: AgentSpec, index: number): void {
    const id = `${this.state.master.id}-S${index}`;
    const total = { cpus: spec.cpus, mem: spec.mem, disk: spec.disk, ports: [spec.ports] };
    const agent: Agent = {
      id,
      hostname: `agent${index}.test`,
      total,
      free: { ...total, ports: [...total.ports] },
      attributes: spec.attributes ?? {},
      lost: false,
      registeredNs: epochNanos(),
    };
    this.state.agents.set(id, agent);
  }

  private removeFramework(fw: Framework): void {
    clearTimeout(fw.failoverTimer);
    recoverOffers(this.state, fw.id);
    killAll(this.state, fw.id);
    this.state.frameworks.delete(fw.id);
  }

  /** `http://127.0.0.1:port` */
  get url(): string {
    return `http://127.0.0.1:${this.state.master.port}`;
  }

  get schedulerUrl(): string {
    return `${this.url}/api/v1/scheduler`;
  }

  /** Every unknown field and unknown enum value received so far (Mesos would drop them). */
  get violations(): readonly Violation[] {
    return this.state.violations;
  }

  /** Every request received: call type (when it had one), parsed body, HTTP status. */
  get operatorCalls(): readonly CallRecord[] {
    return this.state.operatorCalls;
  }

  get calls(): readonly CallRecord[] {
    return this.state.calls;
  }

  agentIds(): string[] {
    return [...this.state.agents.keys()];
  }

  frameworkIds(): string[] {
    return [...this.state.frameworks.keys()];
  }

  /** Frameworks whose scheduler is subscribed right now (to whichever master leads). */
  subscribedFrameworkIds(): string[] {
    return [...this.state.frameworks.values()].filter((fw) => fw.subscription).map((fw) => fw.id);
  }

  tasks(): TaskView[] {
    return [...this.state.tasks.values()].map((t: Task) => ({
      taskId: t.taskId,
      frameworkId: t.frameworkId,
      agentId: t.agentId,
      name: t.name,
      state: t.state,
      unacknowledged: t.pending.length,
    }));
  }

  /** Ids of the outstanding offers. */
  offerIds(): string[] {
    return [...this.state.offers.keys()];
  }

  /** Fault: closes the scheduler's stream (all frameworks', or one's). */
  dropStream(frameworkId?: string): void {
    for (const fw of [...this.state.frameworks.values()]) {
      if (frameworkId !== undefined && fw.id !== frameworkId) continue;
      const sub = fw.subscription;
      if (sub !== undefined) sub.res.socket?.destroy();
    }
  }

  /** Fault: the agent is gone; its offers are rescinded, its tasks become UNREACHABLE/LOST. */
  loseAgent(agentId: string): void {
    const agent = this.state.agents.get(agentId);
    if (agent === undefined) throw new Error(`unknown agent ${agentId}`);
    for (const offer of [...this.state.offers.values()]) {
      if (offer.agentId === agentId) rescindOffer(this.state, offer.id);
    }
    agentLost(this.state, agentId);
    agent.lost = true;
    agent.free = emptyPool();
  }

  /**
   * The task's health check decides: a TASK_RUNNING update with `healthy`, as the command
   * executor sends when a check first passes or its verdict changes.
   */
  reportHealth(taskId: string, healthy: boolean): void {
    const task = [...this.state.tasks.values()].find((t) => t.taskId === taskId);
    if (task?.state !== 'TASK_RUNNING') throw new Error(`no running task ${taskId}`);
    executorUpdate(this.state, task, 'TASK_RUNNING', { healthy });
  }

  /** Fault: rescinds an outstanding offer (RESCIND event). */
  rescind(offerId: string): void {
    if (!rescindOffer(this.state, offerId)) throw new Error(`unknown offer ${offerId}`);
  }

  /** Fault: delays every UPDATE event by `ms` (0 to stop). */
  delayUpdates(ms: number): void {
    this.state.faults.updateDelayMs = ms;
  }

  /** Fault: the next `count` RECONCILE calls are accepted (202) and never answered. */
  loseReconcileAnswers(count: number): void {
    this.state.faults.unansweredReconciles = count;
  }

  /**
   * Fault: UPDATE events are held back (a slow network path) until `releaseUpdates`, while
   * `on`. The test decides when they arrive, so no timer decides which overtakes which.
   */
  holdUpdates(on = true): void {
    this.state.faults.holding = on;
  }

  /** The updates held back now, oldest first (an agent's retries included). */
  heldUpdates(): Pick<StatusFields, 'taskId' | 'state' | 'uuid'>[] {
    return this.state.faults.held.map(({ status: { taskId, state, uuid } }) => ({ taskId, state, uuid }));
  }

  /** Delivers the updates held back so far, newest first unless told otherwise. */
  releaseUpdates(options: { newestFirst?: boolean } = {}): void {
    releaseHeld(this.state, options.newestFirst ?? true);
  }

  /** For benchmarks: a framework whose tasks have all been RUNNING for a while (preload.ts). */
  preload(framework: PreloadedFramework, taskInfos: readonly Record<string, unknown>[]): void {
    preload(this.state, framework, taskInfos);
  }

  /** Runs one allocation cycle now (instead of waiting for the interval). */
  allocateNow(): void {
    allocate(this.state);
  }

  /** The test sends unknown fields on purpose, to see them recorded: `close` then does not fail. */
  expectViolations(): void {
    this.violationsExpected = true;
  }

  /**
   * Every request Borealis sent must have matched the message shapes, since real Mesos drops
   * a misspelled field silently: closing a master that recorded a violation fails the test
   * that opened it.
   */
  checkViolations(): void {
    if (this.violationsExpected || this.state.violations.length === 0) return;
    const list = this.state.violations.map((v) => `${v.call ?? '?'} ${v.path}: ${v.detail}`);
    throw new Error(`requests with fields real Mesos would drop silently:\n  ${list.join('\n  ')}`);
  }

  async close(options: { check?: boolean } = {}): Promise<void> {
    await this.stop();
    if (options.check ?? true) this.checkViolations();
  }

  private async stop(): Promise<void> {
    this.timers.forEach((t) => clearInterval(t));
    // The frameworks belong to whichever master leads; a follower leaves them alone.
    for (const fw of this.isLeading ? this.state.frameworks.values() : []) {
      clearTimeout(fw.failoverTimer);
      closeStream(fw);
    }
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
