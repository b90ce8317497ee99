/**
 * The operator API's synchronous answers, built from the simulated state in the JSON shapes
 * of test/fixtures/mesos/corrected (GET_STATE, GET_AGENTS, GET_FRAMEWORKS) and the
 * verbatim GET_TASKS, GET_HEALTH and GET_MASTER examples, keys in those examples' order.
 * Those examples come from Mesos 1.1; what 1.11 writes besides is listed in index.ts.
 */
import { stringifyMesosJson } from '../../../src/cluster/mesos/json.js';
import { masterInfoJson, type Json } from './events.js';
import { attributeJson } from './offers.js';
import { knownFields } from './operator-schema.js';
import { emptyPool, isEmpty, resourcesJson, sum, type Pool } from './resources.js';
import { TERMINAL, type Agent, type Framework, type State, type Task } from './state.js';

type Answer = (state: State) => Json;

const timeInfo = (nanoseconds: bigint | undefined): Json | undefined =>
  nanoseconds === undefined ? undefined : { nanoseconds };

/** Drops `undefined` members, as Mesos leaves unset fields and empty repeated ones out. */
function present(json: Record<string, unknown>): Json {
  const out: Json = {};
  for (const [key, value] of Object.entries(json)) {
    const empty = value === undefined || (Array.isArray(value) && value.length === 0);
    if (!empty) out[key] = value;
  }
  return out;
}

const isActive = (task: Task): boolean => !TERMINAL.has(task.state) && task.state !== 'TASK_UNREACHABLE';

const poolJson = (pool: Pool): Json[] | undefined =>
  isEmpty(pool) ? undefined : resourcesJson(pool, undefined);

/** Pools by agent, grouped in one pass over tasks or offers (not one pass per agent). */
/** Summed per agent in one pass: adding pool by pool re-merges the ports ranges every time. */
function poolsByAgent(items: Iterable<{ agentId: string; pool: Pool }>): Map<string, Pool> {
  const byAgent = new Map<string, Pool[]>();
  for (const item of items) {
    const pools = byAgent.get(item.agentId);
    if (pools) pools.push(item.pool);
    else byAgent.set(item.agentId, [item.pool]);
  }
  return new Map([...byAgent].map(([agentId, pools]) => [agentId, sum(pools)]));
}

function agentJson(state: State, agent: Agent, used: Pool, offered: Pool): Json {
  const attributes = Object.entries(agent.attributes).map(([name, value]) => attributeJson(name, value));
  return present({
    active: true,
    agent_info: present({
      hostname: agent.hostname,
      id: { value: agent.id },
      port: 5051,
      resources: resourcesJson(agent.total, undefined),
      attributes,
    }),
    allocated_resources: poolJson(used),
    offered_resources: poolJson(offered),
    pid: `slave(1)@${agent.hostname}:5051`,
    registered_time: timeInfo(agent.registeredNs),
    total_resources: resourcesJson(agent.total, undefined),
    version: state.master.version,
  });
}

/** Removed (lost) agents are no longer registered, so Mesos no longer lists them. */
function getAgents(state: State): Json {
  const used = poolsByAgent([...state.tasks.values()].filter(isActive));
  const offered = poolsByAgent(state.offers.values());
  const registered = [...state.agents.values()].filter((a) => !a.lost);
  return {
    agents: registered.map((a) =>
      agentJson(state, a, used.get(a.id) ?? emptyPool(), offered.get(a.id) ?? emptyPool()),
    ),
  };
}

/** What the master kept of the FrameworkInfo, with the proto defaults stout writes when unset. */
function frameworkInfoJson(framework: Framework): unknown {
  return knownFields({ checkpoint: false, failover_timeout: 0, ...framework.info }, 'FrameworkInfo');
}

function frameworkJson(framework: Framework): Json {
  const connected = framework.subscription !== undefined;
  return present({
    active: connected,
    connected,
    framework_info: frameworkInfoJson(framework),
    registered_time: timeInfo(framework.registeredNs),
    reregistered_time: timeInfo(framework.reregisteredNs),
    recovered: false,
  });
}

/** Torn-down frameworks are forgotten by the test master, so `completed_frameworks` stays empty. */
const getFrameworks = (state: State): Json => ({
  frameworks: [...state.frameworks.values()].map(frameworkJson),
});

/** Fields of the TaskInfo that `protobuf::createTask` copies into the master's `Task`. */
function fromTaskInfo(task: Task): Json {
  const info = (knownFields(task.info ?? {}, 'TaskInfo') ?? {}) as Json;
  return {
    container: info.container,
    discovery: info.discovery,
    health_check: info.health_check,
    kill_policy: info.kill_policy,
    labels: info.labels,
    resources: info.resources,
  };
}

/** The latest update the agent sent with a uuid, which the scheduler must acknowledge. */
function statusUpdate(task: Task): Json {
  const sent = (task.statuses ?? []).filter((s) => typeof s.uuid === 'string').at(-1);
  return sent === undefined ? {} : { status_update_state: sent.state, status_update_uuid: sent.uuid };
}

function taskJson(task: Task): Json {
  const copied = fromTaskInfo(task);
  return present({
    agent_id: { value: task.agentId },
    container: copied.container,
    discovery: copied.discovery,
    executor_id: task.executorId === undefined ? undefined : { value: task.executorId },
    framework_id: { value: task.frameworkId },
    health_check: copied.health_check,
    kill_policy: copied.kill_policy,
    labels: copied.labels,
    name: task.name,
    resources: copied.resources ?? resourcesJson(task.pool, undefined),
    state: task.state,
    ...statusUpdate(task),
    statuses: task.statuses,
    task_id: { value: task.taskId },
  });
}

/**
 * `tasks` holds live tasks and terminal ones whose updates are not all acknowledged yet;
 * `completed_tasks` the terminal ones with nothing left to acknowledge.
 */
function taskLists(state: State): Record<'completed_tasks' | 'tasks' | 'unreachable_tasks', Task[]> {
  const all = [...state.tasks.values()];
  const completed = (t: Task): boolean => TERMINAL.has(t.state) && t.pending.length === 0;
  return {
    completed_tasks: all.filter(completed),
    tasks: all.filter((t) => !completed(t) && t.state !== 'TASK_UNREACHABLE'),
    unreachable_tasks: all.filter((t) => t.state === 'TASK_UNREACHABLE'),
  };
}

function getTasks(state: State): Json {
  const lists = taskLists(state);
  return present(
    Object.fromEntries(Object.entries(lists).map(([name, tasks]) => [name, tasks.map(taskJson)])),
  );
}

/** Each task's JSON, encoded, kept until its state or latest status changes. */
const rendered = new WeakMap<Task, { state: string; last: unknown; bytes: Buffer }>();

function taskBytes(task: Task): Buffer {
  const last = task.statuses?.at(-1);
  const known = rendered.get(task);
  if (known?.state === task.state && known.last === last) return known.bytes;
  const bytes = Buffer.from(stringifyMesosJson(taskJson(task), { nonFinite: 'bare' }));
  rendered.set(task, { state: task.state, last, bytes });
  return bytes;
}

const COMMA = Buffer.from(',');

/** Tasks per written piece of a streamed GET_TASKS. */
const TASKS_PER_PIECE = 200;

/**
 * The GET_TASKS answer as pieces of text, from each task's kept JSON, written as they are
 * made: a master with 100,000 tasks streams its answer as a real one (in C++) would, so a
 * benchmark measures the client rather than this simulation's serialiser.
 */
export function* getTasksPieces(state: State): Generator<Buffer> {
  const lists = Object.entries(taskLists(state)).filter(([, tasks]) => tasks.length > 0);
  yield Buffer.from('{"type":"GET_TASKS","get_tasks":{');
  for (const [index, [name, tasks]] of lists.entries()) {
    yield Buffer.from(`${index === 0 ? '' : ','}"${name}":[`);
    for (let at = 0; at < tasks.length; at += TASKS_PER_PIECE) {
      const piece = tasks.slice(at, at + TASKS_PER_PIECE).flatMap((task, i) => {
        const bytes = taskBytes(task);
        return at + i === 0 ? [bytes] : [COMMA, bytes];
      });
      yield Buffer.concat(piece);
    }
    yield Buffer.from(']');
  }
  yield Buffer.from('}}');
}

/** Executors of live tasks launched with an ExecutorInfo (command tasks have none the master knows). */
function getExecutors(state: State): Json {
  const executors = new Map<string, Json>();
  for (const task of state.tasks.values()) {
    const info = task.info?.executor;
    if (task.executorId === undefined || !isActive(task) || typeof info !== 'object' || info === null)
      continue;
    const executor = {
      ...(knownFields(info, 'ExecutorInfo') as Json),
      framework_id: { value: task.frameworkId },
    };
    executors.set(`${task.frameworkId}/${task.agentId}/${task.executorId}`, {
      agent_id: { value: task.agentId },
      executor_info: executor,
    });
  }
  return present({ executors: [...executors.values()] });
}

export const ANSWERS: Readonly<Record<string, Answer>> = {
  GET_HEALTH: () => ({ healthy: true }),
  GET_STATE: (state) => ({
    get_agents: getAgents(state),
    get_executors: getExecutors(state),
    get_frameworks: getFrameworks(state),
    get_tasks: getTasks(state),
  }),
  GET_AGENTS: getAgents,
  GET_FRAMEWORKS: getFrameworks,
  GET_EXECUTORS: getExecutors,
  GET_TASKS: getTasks,
  GET_MASTER: (state) => ({ master_info: masterInfoJson(state.master) }),
};

/** The whole `Response`: `{"type": "GET_STATE", "get_state": {...}}`. */
export function answer(state: State, type: string): Json | undefined {
  const payload = ANSWERS[type];
  return payload === undefined ? undefined : { type, [type.toLowerCase()]: payload(state) };
}
