/**
 * What Borealis reads from the operator API's answers (`mesos.v1.master.Response`), as
 * `operator-views.ts` builds it; each view keeps the parsed JSON as `raw` for the rest.
 */
import type { MesosJsonValue } from './json.js';
import type { ScalarName } from './resources.js';

export type MesosJsonObject = { [key: string]: MesosJsonValue };

export interface PortRange {
  begin: number;
  end: number;
}

/** Scalars summed by name (to Mesos's three decimals) and port ranges, ascending. */
export interface ResourceTotals extends Record<ScalarName, number> {
  ports: PortRange[];
}

export interface OperatorTaskStatus {
  state: string;
  healthy?: boolean;
  reason?: string;
  message?: string;
  source?: string;
  /** Seconds since the epoch, as Mesos writes it. */
  timestamp?: number;
}

export interface OperatorTask {
  taskId: string;
  frameworkId: string;
  agentId: string;
  name: string;
  /** The master's latest state (`TASK_RUNNING`, ...). */
  state: string;
  labels: Record<string, string>;
  /** Oldest first. The master keeps one status per run of the same state. */
  statuses: OperatorTaskStatus[];
  latestStatus: OperatorTaskStatus | undefined;
  resources: ResourceTotals;
  /** Discovery port names → numbers. */
  ports: Record<string, number>;
  /** Whether the TaskInfo carried a Mesos health check. */
  hasHealthCheck: boolean;
  raw: MesosJsonObject;
}

/** What says which job instance a task is and how it fares: all a cluster snapshot reads. */
export type OperatorTaskSummary = Omit<OperatorTask, 'resources' | 'raw'>;

export interface OperatorTasks {
  tasks: OperatorTask[];
  /** On agents the master has lost touch with. */
  unreachable: OperatorTask[];
  /** Terminal, with every update acknowledged. */
  completed: OperatorTask[];
}

export interface OperatorAgent {
  agentId: string;
  hostname: string;
  port?: number;
  active: boolean;
  version?: string;
  attributes: Record<string, string | number>;
  total: ResourceTotals;
  /** Used by tasks and executors. */
  allocated: ResourceTotals;
  /** In outstanding offers. */
  offered: ResourceTotals;
  /** `registered_time.nanoseconds`, exact. */
  registeredNs?: bigint;
  /** Epoch milliseconds. */
  registeredAt?: number;
  raw: MesosJsonObject;
}

export interface OperatorFramework {
  frameworkId: string;
  name: string;
  user: string;
  /** `roles`, or the single legacy `role` of a framework without MULTI_ROLE. */
  roles: string[];
  active: boolean;
  connected: boolean;
  recovered: boolean;
  registeredNs?: bigint;
  reregisteredNs?: bigint;
  raw: MesosJsonObject;
}

export interface OperatorFrameworks {
  frameworks: OperatorFramework[];
  /** Torn down, or removed after their failover timeout. */
  completed: OperatorFramework[];
}

export interface OperatorMaster {
  id: string;
  hostname?: string;
  ip?: string;
  port: number;
  version?: string;
  pid?: string;
  raw: MesosJsonObject;
}

export interface OperatorState {
  tasks: OperatorTasks;
  agents: OperatorAgent[];
  frameworks: OperatorFrameworks;
  raw: MesosJsonObject;
}
