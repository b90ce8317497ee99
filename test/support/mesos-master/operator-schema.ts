/**
 * The operator API's message shapes (include/mesos/v1/master/master.proto and the
 * mesos.proto messages it answers with, Mesos 1.11), added to the scheduler table of
 * schema.ts. `master.Call` is what the test master validates requests against, recording
 * unknown fields and enum values as violations; response-schema.ts adds the Response side.
 * Payloads of calls the test master does not simulate are `opaque`.
 */
import { enumOf, isObject, MESSAGES, msg, opaque, type Field, type MessageTable } from './schema.js';

export const OPERATOR_CALL_TYPES = [
  'UNKNOWN',
  'GET_HEALTH',
  'GET_FLAGS',
  'GET_VERSION',
  'GET_METRICS',
  'GET_LOGGING_LEVEL',
  'SET_LOGGING_LEVEL',
  'LIST_FILES',
  'READ_FILE',
  'GET_STATE',
  'GET_AGENTS',
  'GET_FRAMEWORKS',
  'GET_EXECUTORS',
  'GET_OPERATIONS',
  'GET_TASKS',
  'GET_ROLES',
  'GET_WEIGHTS',
  'UPDATE_WEIGHTS',
  'GET_MASTER',
  'SUBSCRIBE',
  'RESERVE_RESOURCES',
  'UNRESERVE_RESOURCES',
  'CREATE_VOLUMES',
  'DESTROY_VOLUMES',
  'GROW_VOLUME',
  'SHRINK_VOLUME',
  'GET_MAINTENANCE_STATUS',
  'GET_MAINTENANCE_SCHEDULE',
  'UPDATE_MAINTENANCE_SCHEDULE',
  'START_MAINTENANCE',
  'STOP_MAINTENANCE',
  'DRAIN_AGENT',
  'DEACTIVATE_AGENT',
  'REACTIVATE_AGENT',
  'GET_QUOTA',
  'UPDATE_QUOTA',
  'SET_QUOTA',
  'REMOVE_QUOTA',
  'TEARDOWN',
  'MARK_AGENT_GONE',
] as const;

/** Payloads the test master does not look into. */
export const unsimulated = (...names: string[]): Record<string, Field> =>
  Object.fromEntries(names.map((name) => [name, opaque]));

const CALLS: MessageTable = {
  'master.Call': {
    type: enumOf(OPERATOR_CALL_TYPES),
    get_metrics: msg('master.Call.GetMetrics'),
    deactivate_agent: msg('master.Call.AgentId'),
    reactivate_agent: msg('master.Call.AgentId'),
    mark_agent_gone: msg('master.Call.AgentId'),
    teardown: msg('master.Call.Teardown'),
    ...unsimulated(
      'set_logging_level',
      'list_files',
      'read_file',
      'update_weights',
      'reserve_resources',
      'unreserve_resources',
      'create_volumes',
      'destroy_volumes',
      'grow_volume',
      'shrink_volume',
      'update_maintenance_schedule',
      'start_maintenance',
      'stop_maintenance',
      'drain_agent',
      'update_quota',
      'set_quota',
      'remove_quota',
    ),
  },
  'master.Call.GetMetrics': { timeout: msg('Duration') },
  'master.Call.AgentId': { agent_id: msg('ID', { required: true }) },
  'master.Call.Teardown': { framework_id: msg('ID', { required: true }) },
};

/** The scheduler table's messages and the operator `master.Call`: what the master parses. */
export const CALL_MESSAGES: MessageTable = { ...MESSAGES, ...CALLS };

/**
 * Call types whose payload `validation::master::call::validate` requires: every call that
 * has one (the payload field is named like the type, in lower case).
 */
export const PAYLOAD_REQUIRED: ReadonlySet<string> = new Set(
  OPERATOR_CALL_TYPES.filter((type) => CALLS['master.Call']?.[type.toLowerCase()] !== undefined),
);

/**
 * `value` as Mesos keeps it after parsing it as message `name`: fields the proto does not
 * have are gone (stout drops them), so what the master echoes back (FrameworkInfo, TaskInfo
 * parts) never holds them either.
 */
export function knownFields(value: unknown, name: string, table: MessageTable = CALL_MESSAGES): unknown {
  const schema = table[name];
  if (schema === undefined || !isObject(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    const field = schema[key];
    if (field !== undefined) out[key] = knownValue(v, field, table);
  }
  return out;
}

function knownValue(value: unknown, field: Field, table: MessageTable): unknown {
  const type = field.type;
  if (typeof type === 'string' || !('msg' in type)) return value;
  return Array.isArray(value)
    ? value.map((v) => knownFields(v, type.msg, table))
    : knownFields(value, type.msg, table);
}
