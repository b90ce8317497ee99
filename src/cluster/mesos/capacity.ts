/**
 * Whether a plan's launches would fit the Mesos cluster now, for the warnings `plan` prints.
 * Every active agent becomes one offer of what is free on it (its total, less what tasks
 * use, plus what the plan's kills release), and the same pure `placeInstances` the driver
 * uses decides: a plan warns exactly when the driver would be left waiting for offers.
 */
import type { PlacementProblem, PlannedLaunch } from '../types.js';
import { attributeValues, type MesosAttribute, type MesosOffer, type MesosResource } from './offer.js';
import type { OperatorClient } from './operator-client.js';
import type { OperatorAgent, OperatorTask, PortRange } from './operator-types.js';
import { objectOf } from './operator-views.js';
import { pendingOf, placeInstances, type RunningTask } from './placement.js';
import { SCALAR_NAMES } from './resources.js';
import { TERMINAL_MESOS_STATES } from './status-map.js';
import { LABELS } from './task-info.js';

export interface CapacityInput {
  launches: readonly PlannedLaunch[];
  /** Task ids the plan kills: their resources count as free. */
  released: ReadonlySet<string>;
  agents: readonly OperatorAgent[];
  /** Every active task on the cluster, of every framework. */
  tasks: readonly OperatorTask[];
  frameworkId: string | undefined;
}

export function placementProblems(input: CapacityInput): PlacementProblem[] {
  if (input.launches.length === 0) return [];
  const live = input.tasks.filter((task) => !TERMINAL_MESOS_STATES.has(task.state));
  const releasedByAgent = groupBy(
    live.filter((task) => input.released.has(task.taskId)),
    (task) => task.agentId,
  );
  const offerOf = new Map(
    input.agents.map((agent) => [agent.agentId, agentOffer(agent, releasedByAgent.get(agent.agentId) ?? [])]),
  );
  const offers = input.agents.filter((agent) => agent.active).map((agent) => offerOf.get(agent.agentId)!);
  const running: RunningTask[] = live
    .filter((task) => task.frameworkId === input.frameworkId && !input.released.has(task.taskId))
    .flatMap((task) => {
      const offer = offerOf.get(task.agentId);
      const jobId = task.labels[LABELS.job];
      if (!offer || !jobId) return [];
      const attributes = Object.fromEntries(attributeValues(offer));
      return [{ jobId, agentId: task.agentId, hostname: offer.hostname, attributes }];
    });
  const placement = placeInstances(input.launches.map(pendingOf), offers, running);
  const byJob = new Map<string, PlacementProblem>();
  for (const { instance, reasons } of placement.unplaced) {
    const problem = byJob.get(instance.jobId) ?? { jobId: instance.jobId, instances: [], reasons: [] };
    problem.instances.push(instance.instance);
    problem.reasons = [...new Set([...problem.reasons, ...reasons])];
    byJob.set(instance.jobId, problem);
  }
  return [...byJob.values()];
}

/** Reads agents and tasks through the operator API, then checks the launches. */
export async function checkPlacement(
  client: OperatorClient,
  frameworkId: string | undefined,
  launches: readonly PlannedLaunch[],
  released: readonly string[],
): Promise<PlacementProblem[]> {
  if (launches.length === 0) return [];
  const [agents, tasks] = await Promise.all([client.getAgents(), client.getTasks()]);
  return placementProblems({
    launches,
    released: new Set(released),
    agents,
    tasks: [...tasks.tasks, ...tasks.unreachable],
    frameworkId,
  });
}

/** The agent's free resources as one offer: total, less what is allocated, plus what is released. */
function agentOffer(agent: OperatorAgent, released: readonly OperatorTask[]): MesosOffer {
  const freed = released.map((task) => task.resources);
  const resources: MesosResource[] = SCALAR_NAMES.map((name) => ({
    name,
    type: 'SCALAR',
    scalar: {
      value: Math.max(
        0,
        agent.total[name] - agent.allocated[name] + freed.reduce((sum, r) => sum + r[name], 0),
      ),
    },
  }));
  const ports = subtractRanges(agent.total.ports, agent.allocated.ports);
  resources.push({
    name: 'ports',
    type: 'RANGES',
    ranges: { range: [...ports, ...freed.flatMap((r) => r.ports)] },
  });
  return {
    id: { value: `capacity-${agent.agentId}` },
    agent_id: { value: agent.agentId },
    hostname: agent.hostname,
    resources,
    attributes: mesosAttributes(agent),
  };
}

function mesosAttributes(agent: OperatorAgent): MesosAttribute[] {
  const attributes = objectOf(agent.raw.agent_info).attributes;
  return Array.isArray(attributes) ? (attributes as unknown as MesosAttribute[]) : [];
}

/** `ranges` without the ports in `used`; both ascending and non-overlapping. */
export function subtractRanges(ranges: readonly PortRange[], used: readonly PortRange[]): PortRange[] {
  let free = ranges.map((range) => ({ ...range }));
  for (const taken of used) {
    free = free.flatMap((range) => {
      if (taken.end < range.begin || taken.begin > range.end) return [range];
      const left = taken.begin > range.begin ? [{ begin: range.begin, end: taken.begin - 1 }] : [];
      const right = taken.end < range.end ? [{ begin: taken.end + 1, end: range.end }] : [];
      return [...left, ...right];
    });
  }
  return free;
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) groups.set(key(item), [...(groups.get(key(item)) ?? []), item]);
  return groups;
}
