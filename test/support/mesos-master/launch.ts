/**
 * ACCEPT with LAUNCH operations. As in Mesos, the call itself is 202 once it parses; offer
 * and task problems come back as UPDATEs: invalid offers → TASK_LOST / TASK_DROPPED with
 * REASON_INVALID_OFFERS, invalid tasks → TASK_ERROR with REASON_TASK_INVALID.
 */
import { add, contains, emptyPool, poolOf, subtract, type Pool } from './resources.js';
import { isObject } from './schema.js';
import { taskKey, TERMINAL, type Framework, type Offer, type State, type Task } from './state.js';
import { applyFilter, returnOffer } from './offers.js';
import { runScript } from './behaviour.js';
import { executorUpdate, masterUpdate } from './tasks.js';

type Json = Record<string, unknown>;

const idOf = (v: unknown): string | undefined =>
  isObject(v) && typeof v.value === 'string' ? v.value : undefined;

export function accept(state: State, fw: Framework, body: Json): void {
  const offerIds = (Array.isArray(body.offer_ids) ? body.offer_ids : []).map(idOf);
  const offers = offerIds.map((id) => (id === undefined ? undefined : state.offers.get(id)));
  const taskInfos = launchedTasks(body.operations);
  const valid = offers.length > 0 && offers.every((o) => o?.frameworkId === fw.id);
  const found = offers.filter((o): o is Offer => o !== undefined && o.frameworkId === fw.id);
  const agentIds = new Set(found.map((o) => o.agentId));
  if (!valid || agentIds.size !== 1) {
    found.forEach((o) => returnOffer(state, o));
    for (const info of taskInfos) invalidOffers(state, fw, info);
    return;
  }
  let pool = found.reduce((acc, o) => add(acc, o.pool), emptyPool());
  found.forEach((o) => state.offers.delete(o.id));
  const agentId = [...agentIds][0]!;
  for (const info of taskInfos) pool = launchOne(state, fw, agentId, info, pool);
  const agent = state.agents.get(agentId);
  if (agent !== undefined && !agent.lost) agent.free = add(agent.free, pool);
  applyFilter(fw, agentId, body.filters);
}

function launchedTasks(operations: unknown): Json[] {
  const out: Json[] = [];
  for (const op of Array.isArray(operations) ? operations : []) {
    if (!isObject(op) || op.type !== 'LAUNCH' || !isObject(op.launch)) continue;
    const infos = op.launch.task_infos;
    if (Array.isArray(infos)) out.push(...infos.filter(isObject));
  }
  return out;
}

function invalidOffers(state: State, fw: Framework, info: Json): void {
  const lost = fw.capabilities.has('PARTITION_AWARE') ? 'TASK_DROPPED' : 'TASK_LOST';
  const status = { taskId: idOf(info.task_id) ?? '', state: lost, reason: 'REASON_INVALID_OFFERS' };
  masterUpdate(state, fw, { ...status, message: 'Task launched with invalid offers' });
}

/** Launches one task from `pool`, returning what is left of it. */
function launchOne(state: State, fw: Framework, agentId: string, info: Json, pool: Pool): Pool {
  const taskId = idOf(info.task_id) ?? '';
  const needs = taskPool(info);
  const script = state.config.behaviour(info);
  const problem =
    taskProblem(state, fw, agentId, info, needs, pool) ??
    (script.kind === 'refused' ? script.message : undefined);
  if (problem !== undefined) {
    const status = { taskId, state: 'TASK_ERROR', reason: 'REASON_TASK_INVALID', agentId };
    masterUpdate(state, fw, { ...status, message: problem });
    return pool;
  }
  const used = needs as Pool;
  const executor = isObject(info.executor) ? idOf(info.executor.executor_id) : undefined;
  const task: Task = {
    taskId,
    frameworkId: fw.id,
    agentId,
    name: typeof info.name === 'string' ? info.name : '',
    executorId: executor,
    pool: used,
    state: 'TASK_STAGING',
    pending: [],
    info,
  };
  state.tasks.set(taskKey(fw.id, taskId), task);
  executorUpdate(state, task, 'TASK_STARTING');
  if (script.kind !== 'refused') runScript(state, task, script, info);
  return subtract(pool, used);
}

function taskPool(info: Json): Pool | string {
  const own = poolOf(info.resources);
  const exec = isObject(info.executor) ? poolOf(info.executor.resources) : emptyPool();
  if (typeof own === 'string') return own;
  if (typeof exec === 'string') return exec;
  return add(own, exec);
}

function taskProblem(
  state: State,
  fw: Framework,
  agentId: string,
  info: Json,
  needs: Pool | string,
  pool: Pool,
): string | undefined {
  const taskId = idOf(info.task_id) ?? '';
  const existing = state.tasks.get(taskKey(fw.id, taskId));
  if (existing !== undefined && !TERMINAL.has(existing.state)) return `Task has duplicate ID: ${taskId}`;
  if (idOf(info.agent_id) !== agentId) return 'Task uses invalid agent';
  if ((info.executor === undefined) === (info.command === undefined)) {
    return 'Task should have at least one (but not both) of CommandInfo or ExecutorInfo present';
  }
  if (typeof needs === 'string') return needs;
  if (!contains(pool, needs)) return 'Task uses more resources than available in the offers';
  return undefined;
}
