/**
 * Test Mesos master (v1 scheduler HTTP API) for Borealis's Mesos client tests.
 *
 * Modules: `http` (routing, transport rules), `schema` (message shapes; unknown fields are
 * recorded in `violations`), `subscribe` + `stream` (SUBSCRIBE, RecordIO stream, heartbeats),
 * `calls` (the other calls), `offers` + `resources` (allocator, bookkeeping), `launch` (ACCEPT),
 * `tasks` (status updates, acknowledgements, kill, reconcile), `events` (event JSON shapes),
 * `master` (the class, with the fault controls).
 */
export { MesosMaster, agents, type MesosMasterOptions, type TaskView } from './master.js';
export type { AgentSpec, CallRecord } from './state.js';
export type { Violation } from './schema.js';
