/**
 * The operator API's answers (`mesos.v1.master.Response` and the mesos.proto messages in
 * it, Mesos 1.11), for tests to check that what the test master writes is a valid Response
 * carrying every field the proto marks required. The master itself never looks at it.
 */
import { CALL_MESSAGES, OPERATOR_CALL_TYPES, unsimulated } from './operator-schema.js';
import { enumOf, msg, opaque, reqStr, str, type Field, type MessageTable } from './schema.js';
import { TERMINAL } from './state.js';

/** Response.Type: a value for each call answered with a body, the GET_ calls and the file calls. */
const RESPONSE_TYPES = OPERATOR_CALL_TYPES.filter(
  (type) => type === 'UNKNOWN' || type.startsWith('GET_') || type === 'LIST_FILES' || type === 'READ_FILE',
);

/** TaskState: the live states and the terminal ones. */
const TASK_STATES = [
  'TASK_STAGING',
  'TASK_STARTING',
  'TASK_RUNNING',
  'TASK_KILLING',
  'TASK_UNREACHABLE',
  'TASK_UNKNOWN',
  ...TERMINAL,
];

const bool: Field = { type: 'bool' };
const reqBool: Field = { type: 'bool', required: true };
const double: Field = { type: 'double' };
const int: Field = { type: 'int' };
const many = (name: string): Field => msg(name, { repeated: true });
const required = (name: string): Field => msg(name, { required: true });
const opaques: Field = { type: 'opaque', repeated: true };

const RESPONSES: MessageTable = {
  'master.Response': {
    type: enumOf(RESPONSE_TYPES),
    get_health: msg('master.GetHealth'),
    get_state: msg('master.GetState'),
    get_agents: msg('master.GetAgents'),
    get_frameworks: msg('master.GetFrameworks'),
    get_executors: msg('master.GetExecutors'),
    get_tasks: msg('master.GetTasks'),
    get_master: msg('master.GetMaster'),
    ...unsimulated(
      'get_flags',
      'get_version',
      'get_metrics',
      'get_logging_level',
      'list_files',
      'read_file',
      'get_operations',
      'get_roles',
      'get_weights',
      'get_maintenance_status',
      'get_maintenance_schedule',
      'get_quota',
    ),
  },
  'master.GetHealth': { healthy: reqBool },
  'master.GetState': {
    get_tasks: msg('master.GetTasks'),
    get_executors: msg('master.GetExecutors'),
    get_frameworks: msg('master.GetFrameworks'),
    get_agents: msg('master.GetAgents'),
  },
  'master.GetAgents': { agents: many('master.GetAgents.Agent'), recovered_agents: many('AgentInfo') },
  'master.GetAgents.Agent': {
    agent_info: required('AgentInfo'),
    active: reqBool,
    deactivated: bool,
    version: reqStr,
    pid: str,
    registered_time: msg('TimeInfo'),
    reregistered_time: msg('TimeInfo'),
    total_resources: many('Resource'),
    allocated_resources: many('Resource'),
    offered_resources: many('Resource'),
    capabilities: opaques,
    resource_providers: opaques,
    drain_info: opaque,
    estimated_drain_start_time: msg('TimeInfo'),
  },
  'master.GetFrameworks': {
    frameworks: many('master.GetFrameworks.Framework'),
    completed_frameworks: many('master.GetFrameworks.Framework'),
    recovered_frameworks: many('FrameworkInfo'),
  },
  'master.GetFrameworks.Framework': {
    framework_info: required('FrameworkInfo'),
    active: reqBool,
    connected: reqBool,
    recovered: reqBool,
    registered_time: msg('TimeInfo'),
    reregistered_time: msg('TimeInfo'),
    unregistered_time: msg('TimeInfo'),
    offers: opaques,
    inverse_offers: opaques,
    allocated_resources: many('Resource'),
    offered_resources: many('Resource'),
  },
  'master.GetExecutors': { executors: many('master.GetExecutors.Executor'), orphan_executors: opaques },
  'master.GetExecutors.Executor': { executor_info: required('ExecutorInfo'), agent_id: required('ID') },
  'master.GetTasks': {
    pending_tasks: many('Task'),
    tasks: many('Task'),
    unreachable_tasks: many('Task'),
    completed_tasks: many('Task'),
    orphan_tasks: many('Task'),
  },
  'master.GetMaster': { master_info: msg('MasterInfo'), start_time: double, elected_time: double },
};

const VALUE_TYPES = ['SCALAR', 'RANGES', 'SET', 'TEXT'];

/** mesos.proto messages the answers use that the scheduler table does not have. */
const ANSWERED: MessageTable = {
  TimeInfo: { nanoseconds: { type: 'int', required: true } },
  AgentInfo: {
    hostname: reqStr,
    port: int,
    resources: many('Resource'),
    attributes: many('Attribute'),
    id: msg('ID'),
    domain: opaque,
  },
  Attribute: {
    name: reqStr,
    type: enumOf(VALUE_TYPES, { required: true }),
    scalar: msg('Scalar'),
    ranges: msg('Ranges'),
    set: msg('Set'),
    text: msg('Text'),
  },
  Text: { value: reqStr },
  Task: {
    name: reqStr,
    task_id: required('ID'),
    framework_id: required('ID'),
    executor_id: msg('ID'),
    agent_id: required('ID'),
    state: enumOf(TASK_STATES, { required: true }),
    resources: many('Resource'),
    statuses: many('TaskStatus'),
    status_update_state: enumOf(TASK_STATES),
    status_update_uuid: { type: 'bytes' },
    labels: msg('Labels'),
    discovery: msg('DiscoveryInfo'),
    container: opaque,
    health_check: msg('HealthCheck'),
    kill_policy: msg('KillPolicy'),
    user: str,
    limits: { type: { map: 'Scalar' } },
  },
  TaskStatus: {
    task_id: required('ID'),
    state: enumOf(TASK_STATES, { required: true }),
    message: str,
    source: enumOf(['SOURCE_MASTER', 'SOURCE_AGENT', 'SOURCE_EXECUTOR']),
    // An enum of some forty REASON_* values; only its type is checked here.
    reason: str,
    data: { type: 'bytes' },
    agent_id: msg('ID'),
    executor_id: msg('ID'),
    timestamp: double,
    uuid: { type: 'bytes' },
    healthy: bool,
    check_status: opaque,
    labels: msg('Labels'),
    container_status: opaque,
    unreachable_time: msg('TimeInfo'),
    limitation: opaque,
  },
  HealthCheck: {
    type: enumOf(['UNKNOWN', 'COMMAND', 'HTTP', 'TCP']),
    command: msg('CommandInfo'),
    http: msg('HealthCheck.HTTPCheckInfo'),
    tcp: msg('HealthCheck.TCPCheckInfo'),
    delay_seconds: double,
    interval_seconds: double,
    timeout_seconds: double,
    consecutive_failures: int,
    grace_period_seconds: double,
  },
  'HealthCheck.HTTPCheckInfo': {
    protocol: enumOf(['IPv4', 'IPv6']),
    scheme: str,
    port: { type: 'int', required: true },
    path: str,
    statuses: { type: 'int', repeated: true },
  },
  'HealthCheck.TCPCheckInfo': { protocol: enumOf(['IPv4', 'IPv6']), port: { type: 'int', required: true } },
  MasterInfo: {
    id: reqStr,
    ip: { type: 'int', required: true },
    port: { type: 'int', required: true },
    pid: str,
    hostname: str,
    version: str,
    address: msg('Address'),
    domain: opaque,
    capabilities: opaques,
  },
  Address: { hostname: str, ip: str, port: { type: 'int', required: true } },
};

/** Every message of both APIs, requests and answers. */
export const OPERATOR_MESSAGES: MessageTable = { ...CALL_MESSAGES, ...RESPONSES, ...ANSWERED };
