/**
 * Test Mesos master (v1 scheduler HTTP API) for Borealis's Mesos client tests.
 *
 * Modules: `http` (routing, transport rules), `schema` (message shapes; unknown fields are
 * recorded in `violations`), `subscribe` + `stream` (SUBSCRIBE, RecordIO stream, heartbeats),
 * `calls` (the other calls), `offers` + `resources` (allocator, bookkeeping), `launch` (ACCEPT),
 * `tasks` (status updates, acknowledgements, kill, reconcile), `behaviour` (what a launched
 * task's executor reports: runs and turns healthy, fails, finishes), `events` (event JSON
 * shapes), `master` (the class, with the fault controls), `ensemble` (several masters of one
 * cluster, registered in ZooKeeper, with failover).
 */
import { agents, MesosMaster } from './master.js';
import type { AgentSpec } from './state.js';

export { MesosMaster, agents, type MesosMasterOptions, type TaskView } from './master.js';
export { MesosEnsemble, type EnsembleOptions } from './ensemble.js';
export type { AgentSpec, CallRecord, TaskBehaviour, TaskScript } from './state.js';
export type { Violation } from './schema.js';

/** Short heartbeat, retry and allocation periods, so tests do not wait on Mesos's defaults. */
export const QUICK_TIMINGS = { heartbeatSeconds: 0.5, updateRetryMs: 500, allocationIntervalMs: 50 } as const;

/** An agent with room for a few test tasks. */
export const ROOMY_AGENT: AgentSpec = { cpus: 4, mem: 4096, disk: 10240, ports: [31000, 31100] };

/** A master with `count` roomy agents and quick timings, for tests. */
export function startQuickMaster(count: number): Promise<MesosMaster> {
  return MesosMaster.start({ agents: agents(count, ROOMY_AGENT), ...QUICK_TIMINGS });
}
