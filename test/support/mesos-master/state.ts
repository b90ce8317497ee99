/** The simulated cluster's state, shared by the master's modules. */
import type { ServerResponse } from 'node:http';
import type { Json, MasterInfo, StatusFields } from './events.js';
import type { Pool } from './resources.js';
import type { Violation } from './schema.js';

export interface AgentSpec {
  cpus: number;
  mem: number;
  disk: number;
  ports: [number, number];
  attributes?: Record<string, string | number>;
}

export interface Agent {
  id: string;
  hostname: string;
  total: Pool;
  /** Neither offered nor used by tasks. */
  free: Pool;
  attributes: Record<string, string | number>;
  lost: boolean;
  /** `registered_time` in GET_AGENTS. */
  registeredNs?: bigint;
}

export interface Offer {
  id: string;
  frameworkId: string;
  agentId: string;
  pool: Pool;
}

export interface Subscription {
  streamId: string;
  res: ServerResponse;
  heartbeat: NodeJS.Timeout;
}

export interface Framework {
  id: string;
  info: Json;
  capabilities: Set<string>;
  roles: string[];
  multiRole: boolean;
  suppressed: Set<string>;
  /** agent id -> time (ms) until which its resources are not offered to this framework. */
  filters: Map<string, number>;
  subscription: Subscription | undefined;
  failoverTimer: NodeJS.Timeout | undefined;
  /** `registered_time` and `reregistered_time` in GET_FRAMEWORKS. */
  registeredNs?: bigint;
  reregisteredNs?: bigint;
}

export interface Task {
  taskId: string;
  frameworkId: string;
  agentId: string;
  name: string;
  executorId: string | undefined;
  pool: Pool;
  /** Latest state known to the master (what RECONCILE reports). */
  state: string;
  /** Latest health the executor reported (RECONCILE reports it too, as `getTaskHealth`). */
  healthy?: boolean;
  /** Agent-generated updates not yet acknowledged: only the head is sent (and retried). */
  pending: StatusFields[];
  /** The TaskInfo it was launched with; the operator API reports parts of it. */
  info?: Json;
  /** The operator API's `Task.statuses`, oldest first (history.ts). */
  statuses?: Json[];
}

export interface CallRecord {
  type: string | undefined;
  body: unknown;
  status: number;
}

export interface MasterConfig {
  heartbeatSeconds: number;
  updateRetryMs: number;
  allocationIntervalMs: number;
  /** `host:port` of the leading master while this one follows (it then answers 307). */
  leader: string | undefined;
  behaviour: TaskBehaviour;
}

/**
 * How a launched task behaves, decided from its TaskInfo (tests script failing or finishing
 * commands this way): what the simulated executor reports after TASK_STARTING.
 * - runs: TASK_RUNNING; a task with a health check then turns healthy after `healthyAfterMs`
 *   (or stays unhealthy with `healthy: false`).
 * - fails / finishes: TASK_RUNNING, then TASK_FAILED / TASK_FINISHED after `afterMs`.
 * - refused: the master's task validation refuses it with `message` (TASK_ERROR,
 *   REASON_TASK_INVALID) and it never starts.
 */
export type TaskScript =
  | { kind: 'runs'; healthy?: boolean; healthyAfterMs?: number }
  | { kind: 'fails'; afterMs: number; message?: string }
  | { kind: 'finishes'; afterMs: number }
  | { kind: 'refused'; message: string };

export type TaskBehaviour = (taskInfo: Json) => TaskScript;

/** Faults the tests switch on; shared by every master of an ensemble. */
export interface Faults {
  /** Every UPDATE event is held back this long. */
  updateDelayMs: number;
  /** UPDATE events are held back until the test releases them (see `held`). */
  holding: boolean;
  /** RECONCILE calls still to be answered with nothing (answers lost on the way). */
  unansweredReconciles: number;
  /** The UPDATE events held back, oldest first, with the status each carries. */
  held: { fw: Framework; event: Json; status: StatusFields }[];
}

export interface State {
  config: MasterConfig;
  master: MasterInfo;
  agents: Map<string, Agent>;
  frameworks: Map<string, Framework>;
  offers: Map<string, Offer>;
  tasks: Map<string, Task>;
  violations: Violation[];
  calls: CallRecord[];
  /** Every operator API request, answered or refused (its body is not kept). */
  operatorCalls: CallRecord[];
  faults: Faults;
  counters: { framework: number; offer: number };
  hooks: { removeFramework(framework: Framework): void; allocate(): void };
}

export const TERMINAL = new Set([
  'TASK_FINISHED',
  'TASK_FAILED',
  'TASK_KILLED',
  'TASK_ERROR',
  'TASK_LOST',
  'TASK_DROPPED',
  'TASK_GONE',
  'TASK_GONE_BY_OPERATOR',
]);

/** Tasks are keyed by framework and task id (task ids are unique per framework). */
export const taskKey = (frameworkId: string, taskId: string): string => `${frameworkId}/${taskId}`;
