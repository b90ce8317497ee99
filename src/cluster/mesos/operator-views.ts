/**
 * The operator API's answers as typed views (operator-types.ts). Input is what
 * `parseMesosJson` produced: 64-bit integers beyond 2^53 are bigints, so TimeInfo
 * nanoseconds are read exactly. Mesos leaves empty repeated fields out, so every list is
 * optional on input and empty in the view.
 */
import { attributeStrings, type MesosAttribute } from './offer.js';
import type {
  MesosJsonObject,
  OperatorAgent,
  OperatorFramework,
  OperatorFrameworks,
  OperatorMaster,
  OperatorState,
  OperatorTask,
  OperatorTaskStatus,
  OperatorTaskSummary,
  OperatorTasks,
  PortRange,
  ResourceTotals,
} from './operator-types.js';
import { SCALAR_NAMES, type ScalarName } from './resources.js';

const isObject = (v: unknown): v is MesosJsonObject =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
export const objectOf = (v: unknown): MesosJsonObject => (isObject(v) ? v : {});
const list = (v: unknown): MesosJsonObject[] => (Array.isArray(v) ? v.filter(isObject) : []);
const text = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const flag = (v: unknown): boolean => v === true;
const idOf = (v: unknown): string => text(objectOf(v).value) ?? '';

function numberOf(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  return typeof v === 'bigint' ? Number(v) : undefined;
}

/** A `TimeInfo` as exact nanoseconds; stout also accepts integers written as strings. */
function nanosOf(time: unknown): bigint | undefined {
  const ns = objectOf(time).nanoseconds;
  if (typeof ns === 'bigint') return ns;
  if (typeof ns === 'number' && Number.isInteger(ns)) return BigInt(ns);
  return typeof ns === 'string' && /^-?\d+$/.test(ns) ? BigInt(ns) : undefined;
}

function optional<K extends string, V>(key: K, value: V | undefined): Partial<Record<K, V>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, V>);
}

function rangesOf(ranges: unknown): PortRange[] {
  return list(objectOf(ranges).range).map((r) => ({
    begin: numberOf(r.begin) ?? 0,
    end: numberOf(r.end) ?? 0,
  }));
}

const isScalarName = (name: unknown): name is ScalarName =>
  (SCALAR_NAMES as readonly unknown[]).includes(name);

export function resourceTotals(resources: unknown): ResourceTotals {
  const milli: Record<ScalarName, number> = { cpus: 0, mem: 0, disk: 0, gpus: 0 };
  const ports: PortRange[] = [];
  for (const resource of list(resources)) {
    if (resource.name === 'ports' && resource.type === 'RANGES') ports.push(...rangesOf(resource.ranges));
    else if (isScalarName(resource.name) && resource.type === 'SCALAR')
      milli[resource.name] += Math.round((numberOf(objectOf(resource.scalar).value) ?? 0) * 1000);
  }
  const totals = Object.fromEntries(SCALAR_NAMES.map((name) => [name, milli[name] / 1000]));
  return { ...(totals as Record<ScalarName, number>), ports: ports.sort((a, b) => a.begin - b.begin) };
}

/** SCALAR as a number, TEXT as it is, SET as `{a,b}`, RANGES as `[1-2,5-9]`. */
function attributeValue(attribute: MesosAttribute): string | number | undefined {
  if (attribute.type === 'SCALAR') return numberOf(attribute.scalar?.value);
  const strings = attributeStrings(attribute);
  return attribute.type === 'SET' ? `{${strings.join(',')}}` : strings[0];
}

function attributesOf(attributes: unknown): Record<string, string | number> {
  const out: Record<string, string | number> = {};
  for (const attribute of list(attributes)) {
    const value = attributeValue(attribute as unknown as MesosAttribute);
    if (typeof attribute.name === 'string' && value !== undefined) out[attribute.name] = value;
  }
  return out;
}

function labelsOf(labels: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const label of list(objectOf(labels).labels)) {
    if (typeof label.key === 'string') out[label.key] = text(label.value) ?? '';
  }
  return out;
}

function discoveryPorts(discovery: unknown): Record<string, number> {
  const out: Record<string, number> = {};
  for (const port of list(objectOf(objectOf(discovery).ports).ports)) {
    const number = numberOf(port.number);
    if (typeof port.name === 'string' && number !== undefined) out[port.name] = number;
  }
  return out;
}

export function taskStatusView(status: MesosJsonObject): OperatorTaskStatus {
  return {
    state: text(status.state) ?? 'TASK_UNKNOWN',
    ...optional('healthy', typeof status.healthy === 'boolean' ? status.healthy : undefined),
    ...optional('reason', text(status.reason)),
    ...optional('message', text(status.message)),
    ...optional('source', text(status.source)),
    ...optional('timestamp', numberOf(status.timestamp)),
  };
}

export function taskView(task: MesosJsonObject): OperatorTask {
  return { ...taskSummary(task), resources: resourceTotals(task.resources), raw: task };
}

export function taskSummary(task: MesosJsonObject): OperatorTaskSummary {
  const statuses = list(task.statuses).map(taskStatusView);
  return {
    taskId: idOf(task.task_id),
    frameworkId: idOf(task.framework_id),
    agentId: idOf(task.agent_id),
    name: text(task.name) ?? '',
    state: text(task.state) ?? 'TASK_UNKNOWN',
    labels: labelsOf(task.labels),
    statuses,
    latestStatus: statuses.at(-1),
    ports: discoveryPorts(task.discovery),
    hasHealthCheck: isObject(task.health_check),
  };
}

/** `GetTasks`, the payload of GET_TASKS and part of GET_STATE. */
export function tasksView(payload: unknown): OperatorTasks {
  const tasks = objectOf(payload);
  return {
    tasks: list(tasks.tasks).map(taskView),
    unreachable: list(tasks.unreachable_tasks).map(taskView),
    completed: list(tasks.completed_tasks).map(taskView),
  };
}

export function agentView(agent: MesosJsonObject): OperatorAgent {
  const info = objectOf(agent.agent_info);
  const registeredNs = nanosOf(agent.registered_time);
  return {
    agentId: idOf(info.id),
    hostname: text(info.hostname) ?? '',
    ...optional('port', numberOf(info.port)),
    active: flag(agent.active),
    ...optional('version', text(agent.version)),
    attributes: attributesOf(info.attributes),
    total: resourceTotals(agent.total_resources),
    allocated: resourceTotals(agent.allocated_resources),
    offered: resourceTotals(agent.offered_resources),
    ...optional('registeredNs', registeredNs),
    ...optional('registeredAt', registeredNs === undefined ? undefined : Number(registeredNs / 1_000_000n)),
    raw: agent,
  };
}

/** `GetAgents`: the registered agents (`recovered_agents` have not re-registered yet). */
export function agentsView(payload: unknown): OperatorAgent[] {
  return list(objectOf(payload).agents).map(agentView);
}

export function frameworkView(framework: MesosJsonObject): OperatorFramework {
  const info = objectOf(framework.framework_info);
  const roles = Array.isArray(info.roles) ? info.roles.filter((r) => typeof r === 'string') : [];
  return {
    frameworkId: idOf(info.id),
    name: text(info.name) ?? '',
    user: text(info.user) ?? '',
    roles: roles.length > 0 ? roles : [text(info.role) ?? '*'],
    active: flag(framework.active),
    connected: flag(framework.connected),
    recovered: flag(framework.recovered),
    ...optional('registeredNs', nanosOf(framework.registered_time)),
    ...optional('reregisteredNs', nanosOf(framework.reregistered_time)),
    raw: framework,
  };
}

export function frameworksView(payload: unknown): OperatorFrameworks {
  const frameworks = objectOf(payload);
  return {
    frameworks: list(frameworks.frameworks).map(frameworkView),
    completed: list(frameworks.completed_frameworks).map(frameworkView),
  };
}

/** `GetState`, the payload of GET_STATE and of the operator SUBSCRIBED event's `get_state`. */
export function stateView(payload: unknown): OperatorState {
  const state = objectOf(payload);
  return {
    tasks: tasksView(state.get_tasks),
    agents: agentsView(state.get_agents),
    frameworks: frameworksView(state.get_frameworks),
    raw: state,
  };
}

/** `GetMaster.master_info`. `address` is preferred: `ip` is a packed uint32. */
export function masterView(payload: unknown): OperatorMaster {
  const info = objectOf(objectOf(payload).master_info);
  const address = objectOf(info.address);
  return {
    id: text(info.id) ?? '',
    ...optional('hostname', text(address.hostname) ?? text(info.hostname)),
    ...optional('ip', text(address.ip) ?? unpackIp(numberOf(info.ip))),
    port: numberOf(address.port) ?? numberOf(info.port) ?? 5050,
    ...optional('version', text(info.version)),
    ...optional('pid', text(info.pid)),
    raw: info,
  };
}

/** `MasterInfo.ip`: the IPv4 address in network byte order read as a little-endian uint32. */
function unpackIp(packed: number | undefined): string | undefined {
  if (packed === undefined) return undefined;
  return [0, 8, 16, 24].map((shift) => (packed >>> shift) & 0xff).join('.');
}

export function healthView(payload: unknown): boolean {
  return objectOf(payload).healthy === true;
}
