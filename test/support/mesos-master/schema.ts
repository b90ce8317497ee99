/**
 * The message shapes the test master accepts: a small table of the v1 scheduler protos
 * (include/mesos/v1/scheduler/scheduler.proto, include/mesos/v1/mesos.proto) for the calls in
 * scope. Real Mesos (stout `protobuf::parse`) drops unknown fields and unknown values of
 * optional enums silently, but fails the whole call (400) on a missing required field, a wrong
 * JSON type or an unknown value of a required enum. `validateMessage` reports the first kind as
 * `violations` (the master records them, then ignores them like Mesos) and the second as `errors`.
 */

type Scalar = 'string' | 'bytes' | 'bool' | 'double' | 'int' | 'opaque';
type FieldType = Scalar | { msg: string } | { enum: readonly string[] } | { map: string };

export interface Field {
  type: FieldType;
  repeated?: boolean;
  required?: boolean;
}

export type Schema = Readonly<Record<string, Field>>;

export interface Violation {
  /** The call type as sent (or `undefined` when it had none). */
  call: string | undefined;
  /** JSON path of the offending field, e.g. `accept.operations[0].launch.task_infos[0].comand`. */
  path: string;
  kind: 'unknown-field' | 'unknown-enum-value';
  detail: string;
}

export const str: Field = { type: 'string' };
export const reqStr: Field = { type: 'string', required: true };
export const strs: Field = { type: 'string', repeated: true };
export const opaque: Field = { type: 'opaque' };
export const msg = (name: string, more: Partial<Field> = {}): Field => ({ type: { msg: name }, ...more });
export const enumOf = (values: readonly string[], more: Partial<Field> = {}): Field => ({
  type: { enum: values },
  ...more,
});
const id: Schema = { value: reqStr };

export const CALL_TYPES = [
  'UNKNOWN',
  'SUBSCRIBE',
  'TEARDOWN',
  'ACCEPT',
  'DECLINE',
  'ACCEPT_INVERSE_OFFERS',
  'DECLINE_INVERSE_OFFERS',
  'REVIVE',
  'KILL',
  'SHUTDOWN',
  'ACKNOWLEDGE',
  'ACKNOWLEDGE_OPERATION_STATUS',
  'RECONCILE',
  'RECONCILE_OPERATIONS',
  'MESSAGE',
  'REQUEST',
  'SUPPRESS',
  'UPDATE_FRAMEWORK',
] as const;

export const CAPABILITIES = [
  'UNKNOWN',
  'REVOCABLE_RESOURCES',
  'TASK_KILLING_STATE',
  'GPU_RESOURCES',
  'SHARED_RESOURCES',
  'PARTITION_AWARE',
  'MULTI_ROLE',
  'RESERVATION_REFINEMENT',
  'REGION_AWARE',
] as const;

const OPERATION_TYPES = [
  'UNKNOWN',
  'LAUNCH',
  'LAUNCH_GROUP',
  'RESERVE',
  'UNRESERVE',
  'CREATE',
  'DESTROY',
  'GROW_VOLUME',
  'SHRINK_VOLUME',
  'CREATE_DISK',
  'DESTROY_DISK',
];

/** Nested messages by name. Fields the master never looks into are `opaque` (any JSON). */
export const MESSAGES: Readonly<Record<string, Schema>> = {
  Call: {
    framework_id: msg('ID'),
    type: enumOf(CALL_TYPES),
    subscribe: msg('Subscribe'),
    accept: msg('Accept'),
    decline: msg('Decline'),
    kill: msg('Kill'),
    acknowledge: msg('Acknowledge'),
    reconcile: msg('Reconcile'),
    suppress: msg('Roles'),
    revive: msg('Roles'),
    accept_inverse_offers: opaque,
    decline_inverse_offers: opaque,
    shutdown: opaque,
    acknowledge_operation_status: opaque,
    reconcile_operations: opaque,
    message: opaque,
    request: opaque,
    update_framework: opaque,
  },
  ID: id,
  Subscribe: {
    framework_info: msg('FrameworkInfo', { required: true }),
    suppressed_roles: strs,
    offer_constraints: opaque,
  },
  FrameworkInfo: {
    user: reqStr,
    name: reqStr,
    id: msg('ID'),
    failover_timeout: { type: 'double' },
    checkpoint: { type: 'bool' },
    role: str,
    roles: strs,
    hostname: str,
    principal: str,
    webui_url: str,
    capabilities: msg('Capability', { repeated: true }),
    labels: msg('Labels'),
    offer_filters: opaque,
    domain: opaque,
  },
  Capability: { type: enumOf(CAPABILITIES) },
  Labels: { labels: msg('Label', { repeated: true }) },
  Label: { key: reqStr, value: str },
  Accept: {
    offer_ids: msg('ID', { repeated: true }),
    operations: msg('Operation', { repeated: true }),
    filters: msg('Filters'),
  },
  Decline: { offer_ids: msg('ID', { repeated: true }), filters: msg('Filters') },
  Filters: { refuse_seconds: { type: 'double' } },
  Operation: {
    type: enumOf(OPERATION_TYPES),
    id: msg('ID'),
    launch: msg('Launch'),
    launch_group: opaque,
    reserve: opaque,
    unreserve: opaque,
    create: opaque,
    destroy: opaque,
    grow_volume: opaque,
    shrink_volume: opaque,
    create_disk: opaque,
    destroy_disk: opaque,
  },
  Launch: { task_infos: msg('TaskInfo', { repeated: true }) },
  TaskInfo: {
    name: reqStr,
    task_id: msg('ID', { required: true }),
    agent_id: msg('ID', { required: true }),
    resources: msg('Resource', { repeated: true }),
    executor: msg('ExecutorInfo'),
    command: msg('CommandInfo'),
    container: msg('ContainerInfo'),
    data: { type: 'bytes' },
    health_check: msg('HealthCheck'),
    check: opaque,
    kill_policy: msg('KillPolicy'),
    labels: msg('Labels'),
    discovery: msg('DiscoveryInfo'),
    max_completion_time: msg('Duration'),
    limits: { type: { map: 'Scalar' } },
  },
  ExecutorInfo: {
    type: enumOf(['UNKNOWN', 'DEFAULT', 'CUSTOM']),
    executor_id: msg('ID', { required: true }),
    framework_id: msg('ID'),
    command: msg('CommandInfo'),
    container: msg('ContainerInfo'),
    resources: msg('Resource', { repeated: true }),
    name: str,
    source: str,
    data: { type: 'bytes' },
    discovery: msg('DiscoveryInfo'),
    shutdown_grace_period: msg('Duration'),
    labels: msg('Labels'),
  },
  Resource: {
    name: reqStr,
    type: enumOf(['SCALAR', 'RANGES', 'SET', 'TEXT'], { required: true }),
    scalar: msg('Scalar'),
    ranges: msg('Ranges'),
    set: msg('Set'),
    role: str,
    allocation_info: msg('AllocationInfo'),
    reservation: opaque,
    reservations: { type: 'opaque', repeated: true },
    disk: opaque,
    revocable: opaque,
    shared: opaque,
    provider_id: msg('ID'),
  },
  AllocationInfo: { role: str },
  Scalar: { value: { type: 'double', required: true } },
  Ranges: { range: msg('Range', { repeated: true }) },
  Range: { begin: { type: 'int', required: true }, end: { type: 'int', required: true } },
  Set: { item: strs },
  CommandInfo: {
    uris: msg('URI', { repeated: true }),
    environment: msg('Environment'),
    shell: { type: 'bool' },
    value: str,
    arguments: strs,
    user: str,
  },
  URI: {
    value: reqStr,
    executable: { type: 'bool' },
    extract: { type: 'bool' },
    cache: { type: 'bool' },
    output_file: str,
  },
  Environment: { variables: msg('Variable', { repeated: true }) },
  Variable: { name: reqStr, type: enumOf(['UNKNOWN', 'VALUE', 'SECRET']), value: str, secret: opaque },
  KillPolicy: { grace_period: msg('Duration') },
  HealthCheck: {
    type: enumOf(['UNKNOWN', 'COMMAND', 'HTTP', 'TCP']),
    command: msg('CommandInfo'),
    http: msg('HTTPCheckInfo'),
    tcp: msg('TCPCheckInfo'),
    delay_seconds: { type: 'double' },
    interval_seconds: { type: 'double' },
    timeout_seconds: { type: 'double' },
    consecutive_failures: { type: 'int' },
    grace_period_seconds: { type: 'double' },
  },
  HTTPCheckInfo: {
    protocol: enumOf(['IPv4', 'IPv6']),
    scheme: str,
    port: { type: 'int', required: true },
    path: str,
    statuses: { type: 'int', repeated: true },
  },
  TCPCheckInfo: { protocol: enumOf(['IPv4', 'IPv6']), port: { type: 'int', required: true } },
  ContainerInfo: {
    type: enumOf(['DOCKER', 'MESOS'], { required: true }),
    volumes: { type: 'opaque', repeated: true },
    hostname: str,
    docker: msg('DockerInfo'),
    mesos: msg('MesosInfo'),
    network_infos: { type: 'opaque', repeated: true },
    linux_info: opaque,
    rlimit_info: opaque,
    tty_info: opaque,
  },
  DockerInfo: {
    image: reqStr,
    network: enumOf(['HOST', 'BRIDGE', 'NONE', 'USER']),
    port_mappings: { type: 'opaque', repeated: true },
    privileged: { type: 'bool' },
    parameters: msg('Parameter', { repeated: true }),
    force_pull_image: { type: 'bool' },
    volume_driver: str,
  },
  Parameter: { key: reqStr, value: reqStr },
  MesosInfo: { image: msg('Image') },
  Image: {
    type: enumOf(['APPC', 'DOCKER'], { required: true }),
    appc: opaque,
    docker: msg('DockerImage'),
    cached: { type: 'bool' },
  },
  DockerImage: { name: reqStr, credential: opaque, config: opaque },
  Duration: { nanoseconds: { type: 'int', required: true } },
  DiscoveryInfo: {
    visibility: enumOf(['FRAMEWORK', 'CLUSTER', 'EXTERNAL'], { required: true }),
    name: str,
    environment: str,
    location: str,
    version: str,
    ports: msg('Ports'),
    labels: msg('Labels'),
  },
  Ports: { ports: msg('Port', { repeated: true }) },
  Port: {
    number: { type: 'int', required: true },
    name: str,
    protocol: str,
    visibility: enumOf(['FRAMEWORK', 'CLUSTER', 'EXTERNAL']),
    labels: msg('Labels'),
  },
  Kill: { task_id: msg('ID', { required: true }), agent_id: msg('ID'), kill_policy: msg('KillPolicy') },
  Acknowledge: {
    agent_id: msg('ID', { required: true }),
    task_id: msg('ID', { required: true }),
    uuid: { type: 'bytes', required: true },
  },
  Reconcile: { tasks: msg('ReconcileTask', { repeated: true }) },
  ReconcileTask: { task_id: msg('ID', { required: true }), agent_id: msg('ID') },
  Roles: { roles: strs },
};

export interface ValidationResult {
  violations: Omit<Violation, 'call'>[];
  /** Problems real Mesos refuses with 400 ("Failed to convert JSON into Call protobuf"). */
  errors: string[];
}

type Json = Record<string, unknown>;

export const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

export type MessageTable = Readonly<Record<string, Schema>>;

/** Checks `value` against the message `name` of `table` (the scheduler API's by default), recursively. */
export function validateMessage(
  value: unknown,
  name: string,
  table: MessageTable = MESSAGES,
): ValidationResult {
  const out: ValidationResult = { violations: [], errors: [] };
  checkMessage(value, name, '', { out, table });
  return out;
}

interface Check {
  out: ValidationResult;
  table: MessageTable;
}

function checkMessage(value: unknown, name: string, path: string, check: Check): void {
  const { out } = check;
  const schema = check.table[name];
  if (schema === undefined) throw new Error(`no schema for message ${name}`);
  if (!isObject(value)) {
    out.errors.push(`${path || '<root>'}: expected a JSON object for ${name}`);
    return;
  }
  for (const [key, field] of Object.entries(schema)) {
    if (field.required === true && value[key] === undefined) {
      out.errors.push(`${join(path, key)}: missing required field of ${name}`);
    }
  }
  for (const [key, v] of Object.entries(value)) {
    const field = schema[key];
    const at = join(path, key);
    if (field === undefined) {
      out.violations.push({ path: at, kind: 'unknown-field', detail: `${name} has no field '${key}'` });
    } else {
      checkField(v, field, at, check);
    }
  }
}

function checkField(value: unknown, field: Field, path: string, check: Check): void {
  if (value === null) return; // stout skips JSON nulls
  if (field.repeated !== true) {
    checkValue(value, field, path, check);
    return;
  }
  if (!Array.isArray(value)) {
    check.out.errors.push(`${path}: expected a JSON array`);
    return;
  }
  value.forEach((item, i) => checkValue(item, field, `${path}[${i}]`, check));
}

function checkValue(value: unknown, field: Field, path: string, check: Check): void {
  const { out } = check;
  const type = field.type;
  if (typeof type === 'string') {
    if (!scalarMatches(value, type)) out.errors.push(`${path}: expected ${type}`);
  } else if ('msg' in type) {
    checkMessage(value, type.msg, path, check);
  } else if ('enum' in type) {
    checkEnum(value, type.enum, field.required === true, path, out);
  } else if (!isObject(value)) {
    out.errors.push(`${path}: expected a JSON object (map)`);
  } else {
    for (const [k, v] of Object.entries(value)) checkMessage(v, type.map, `${path}.${k}`, check);
  }
}

function checkEnum(
  value: unknown,
  values: readonly string[],
  required: boolean,
  path: string,
  out: ValidationResult,
): void {
  if (typeof value !== 'string') {
    out.errors.push(`${path}: expected an enum name string`);
  } else if (!values.includes(value)) {
    if (required) out.errors.push(`${path}: unknown value '${value}' of a required enum`);
    else
      out.violations.push({
        path,
        kind: 'unknown-enum-value',
        detail: `'${value}' is not one of ${values.join(', ')}`,
      });
  }
}

const NUMERIC = /^-?(\d+(\.\d*)?([eE][+-]?\d+)?|Infinity|NaN)$/;

function scalarMatches(value: unknown, type: Scalar): boolean {
  switch (type) {
    case 'opaque':
      return true;
    case 'string':
    case 'bytes':
      return typeof value === 'string';
    case 'bool':
      return typeof value === 'boolean';
    case 'int':
      return (
        (typeof value === 'number' && Number.isInteger(value)) ||
        typeof value === 'bigint' ||
        (typeof value === 'string' && /^-?\d+$/.test(value))
      );
    case 'double':
      return (
        typeof value === 'number' ||
        typeof value === 'bigint' ||
        (typeof value === 'string' && NUMERIC.test(value))
      );
  }
}

function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}
