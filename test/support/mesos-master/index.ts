/**
 * Test Mesos master (v1 scheduler and operator HTTP APIs) for Borealis's Mesos client tests.
 *
 * Modules: `http` (routing, transport rules), `schema` (message shapes; unknown fields are
 * recorded in `violations`), `subscribe` + `stream` (SUBSCRIBE, RecordIO stream, heartbeats),
 * `calls` (the other calls), `offers` + `resources` (allocator, bookkeeping), `launch` (ACCEPT),
 * `tasks` (status updates, acknowledgements, kill, reconcile), `history` (the statuses the
 * master keeps per task), `behaviour` (what a launched task's executor reports: runs and
 * turns healthy, fails, finishes), `events` (event JSON shapes), `master` (the class, with
 * the fault controls), `ensemble` (several masters of one cluster, registered in ZooKeeper,
 * with failover).
 *
 * The operator API (`POST /api/v1`): `operator` (transport rules and call validation, as
 * `Master::Http::api`), `operator-schema` (the `master.Call` table; `knownFields`, what stout
 * keeps of a message), `response-schema` (the `master.Response` table, for tests to check
 * answers), `operator-answers` (GET_HEALTH, GET_STATE, GET_AGENTS, GET_FRAMEWORKS,
 * GET_EXECUTORS, GET_TASKS, GET_MASTER; other calls answer 501). The answers have the shapes
 * of the documented (Mesos 1.1) examples in the fixtures; Mesos 1.11 also writes agents'
 * `deactivated` and `capabilities`, frameworks' `offers`, `allocated_resources`,
 * `offered_resources` and `unregistered_time`, GET_MASTER's `start_time` and `elected_time`,
 * and the proto defaults of nested messages (e.g. `HealthCheck.HTTPCheckInfo.protocol`).
 */
import { agents, MesosMaster } from './master.js';
import type { AgentSpec } from './state.js';

export { MesosMaster, agents, type MesosMasterOptions, type TaskView } from './master.js';
export { MesosEnsemble, type EnsembleOptions } from './ensemble.js';
export type { AgentSpec, CallRecord, TaskBehaviour, TaskScript } from './state.js';
export { validateMessage, type Violation } from './schema.js';
export { OPERATOR_MESSAGES } from './response-schema.js';

/**
 * Short retry and allocation periods, so tests do not wait on Mesos's defaults. Heartbeats
 * only keep a healthy stream alive (no test waits for their silence), and a driver gives a
 * stream up after 5 missed ones: at 0.5 s a busy machine starved the master or the driver
 * for those 2.5 s and caused re-subscriptions no test expected.
 */
export const QUICK_TIMINGS = { heartbeatSeconds: 5, updateRetryMs: 500, allocationIntervalMs: 50 } as const;

/** An agent with room for a few test tasks. */
export const ROOMY_AGENT: AgentSpec = { cpus: 4, mem: 4096, disk: 10240, ports: [31000, 31100] };

/** A master with `count` roomy agents and quick timings, for tests. */
export function startQuickMaster(count: number): Promise<MesosMaster> {
  return MesosMaster.start({ agents: agents(count, ROOMY_AGENT), ...QUICK_TIMINGS });
}
