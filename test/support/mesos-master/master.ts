/**
 * A test Mesos master: the v1 scheduler HTTP API on a real `http.createServer` bound to
 * 127.0.0.1, with simulated agents. index.ts lists the modules; NOTES.md §1 is the rulebook.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { epochNanos } from './events.js';
import { handle } from './http.js';
import { allocate, rescindOffer } from './offers.js';
import { emptyPool } from './resources.js';
import type { Violation } from './schema.js';
import type { Agent, AgentSpec, CallRecord, Framework, State, Task } from './state.js';
import { closeStream, recoverOffers } from './stream.js';
import { agentLost, executorUpdate, killAll, retryUnacknowledged } from './tasks.js';

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
}

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

  private constructor(options: MesosMasterOptions) {
    const id = randomUUID();
    this.state = {
      config: {
        heartbeatSeconds: options.heartbeatSeconds ?? 15,
        updateRetryMs: options.updateRetryMs ?? 10_000,
        allocationIntervalMs: options.allocationIntervalMs ?? 1000,
        leader: options.leader,
      },
      master: { id, hostname: '127.0.0.1', ip: '127.0.0.1', port: 0, version: '1.11.0' },
      agents: new Map(),
      frameworks: new Map(),
      offers: new Map(),
      tasks: new Map(),
      violations: [],
      calls: [],
      updateDelayMs: 0,
      counters: { framework: 0, offer: 0 },
      hooks: { removeFramework: (fw) => this.removeFramework(fw), allocate: () => allocate(this.state) },
    };
    (options.agents ?? []).forEach((spec, i) => this.addAgent(spec, i));
    this.server = createServer((req, res) => {
      handle(this.state, req, res).catch((e: unknown) => {
        if (!res.headersSent) res.writeHead(500).end(String(e));
      });
    });
  }

  /** Starts a master on 127.0.0.1 with an ephemeral port. */
  static async start(options: MesosMasterOptions = {}): Promise<MesosMaster> {
    const master = new MesosMaster(options);
    await new Promise<void>((resolve) => master.server.listen(0, '127.0.0.1', resolve));
    master.state.master.port = (master.server.address() as AddressInfo).port;
    master.startTimers();
    return master;
  }

  private startTimers(): void {
    const { allocationIntervalMs, updateRetryMs } = this.state.config;
    this.timers = [
      setInterval(() => allocate(this.state), allocationIntervalMs),
      setInterval(() => retryUnacknowledged(this.state), updateRetryMs),
    ];
    this.timers.forEach((t) => t.unref());
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
  get calls(): readonly CallRecord[] {
    return this.state.calls;
  }

  agentIds(): string[] {
    return [...this.state.agents.keys()];
  }

  frameworkIds(): string[] {
    return [...this.state.frameworks.keys()];
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
    executorUpdate(this.state, task, 'TASK_RUNNING', undefined, healthy);
  }

  /** Fault: rescinds an outstanding offer (RESCIND event). */
  rescind(offerId: string): void {
    if (!rescindOffer(this.state, offerId)) throw new Error(`unknown offer ${offerId}`);
  }

  /** Fault: delays every UPDATE event by `ms` (0 to stop). */
  delayUpdates(ms: number): void {
    this.state.updateDelayMs = ms;
  }

  /** Runs one allocation cycle now (instead of waiting for the interval). */
  allocateNow(): void {
    allocate(this.state);
  }

  async close(): Promise<void> {
    this.timers.forEach((t) => clearInterval(t));
    for (const fw of this.state.frameworks.values()) {
      clearTimeout(fw.failoverTimer);
      closeStream(fw);
    }
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
