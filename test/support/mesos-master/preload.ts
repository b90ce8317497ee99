/**
 * For benchmarks: a framework that launched its tasks long ago and is away now (its
 * scheduler not subscribed, its failover timeout not running), every task RUNNING (and healthy) on
 * its agent, as a master that has run a large cluster for a while knows it. The tasks arrive
 * as the TaskInfos the framework sent; nothing goes through offers or status updates.
 */
import { epochNanos, type Json } from './events.js';
import { recordStatus } from './history.js';
import { isObject } from './schema.js';
import { poolOf, subtract } from './resources.js';
import { taskKey, type Framework, type State } from './state.js';

export interface PreloadedFramework {
  id: string;
  user: string;
  roles: string[];
}

export function preload(state: State, framework: PreloadedFramework, taskInfos: readonly Json[]): void {
  const now = epochNanos();
  const fw: Framework = {
    id: framework.id,
    info: { user: framework.user, name: 'borealis', id: { value: framework.id }, roles: framework.roles },
    capabilities: new Set(['MULTI_ROLE', 'TASK_KILLING_STATE', 'PARTITION_AWARE']),
    roles: framework.roles,
    multiRole: true,
    suppressed: new Set(),
    filters: new Map(),
    subscription: undefined,
    failoverTimer: undefined,
    registeredNs: now,
    reregisteredNs: now,
  };
  state.frameworks.set(fw.id, fw);
  const timestamp = Date.now() / 1000;
  for (const info of taskInfos) {
    const taskId = isObject(info.task_id) ? String(info.task_id.value) : '';
    const agentId = isObject(info.agent_id) ? String(info.agent_id.value) : '';
    const pool = poolOf(info.resources);
    if (typeof pool === 'string') throw new Error(`task ${taskId}: ${pool}`);
    const agent = state.agents.get(agentId);
    if (agent === undefined) throw new Error(`task ${taskId}: no agent ${agentId}`);
    agent.free = subtract(agent.free, pool);
    // Long running: a task with a health check has passed it.
    const healthy = isObject(info.health_check) ? true : undefined;
    const task = {
      taskId,
      frameworkId: fw.id,
      agentId,
      name: typeof info.name === 'string' ? info.name : '',
      executorId: undefined,
      pool: pool,
      state: 'TASK_RUNNING',
      pending: [],
      info,
      ...(healthy === undefined ? {} : { healthy }),
    };
    state.tasks.set(taskKey(fw.id, taskId), task);
    recordStatus(task, {
      taskId,
      state: 'TASK_RUNNING',
      source: 'SOURCE_EXECUTOR',
      agentId,
      timestamp,
      ...(healthy === undefined ? {} : { healthy }),
    });
  }
}
