/**
 * Whether a plan's launches would fit the Mesos cluster now, for the warnings `plan` prints.
 * Every active agent becomes one offer of what is free on it (its total, less what tasks
 * use, plus what the plan's kills release), and the same pure `placeInstances` the driver
 * uses decides: a plan warns exactly when the driver would be left waiting for offers.
 */
import { groupBy } from '../../util/group-by.js';
import type { PlacementProblem, PlannedLaunch } from '../types.js';
import { attributeValues, type MesosAttribute, type MesosOffer, type MesosResource } from './offer.js';
import type { OperatorClient } from './operator-client.js';
import type { OperatorAgent, OperatorTask, PortRange, ResourceTotals } from './operator-types.js';
import { objectOf, taskView } from './operator-views.js';
import { pendingOf, placeInstances, type RunningTask } from './placement.js';
import { SCALAR_NAMES } from './resources.js';
import { TERMINAL_MESOS_STATES } from './status-map.js';
import { LABELS } from './task-info.js';

export interface CapacityInput {
  launches: readonly PlannedLaunch[];
  agents: readonly OperatorAgent[];
  /** This framework's live tasks the plan keeps: where each job already runs, for its constraints. */
  staying: readonly StayingTask[];
  /** What the live tasks the plan kills hold, by agent: it counts as free. */
  released: readonly ReleasedResources[];
}

export interface StayingTask {
  jobId: string;
  agentId: string;
}

export interface ReleasedResources {
  agentId: string;
  resources: ResourceTotals;
}

/** The framework's live tasks as GET_TASKS lists them, split into those staying and those released. */
export function splitOperatorTasks(
  tasks: readonly OperatorTask[],
  frameworkId: string | undefined,
  released: ReadonlySet<string>,
): Pick<CapacityInput, 'staying' | 'released'> {
  const ours = tasks.filter(
    (task) => task.frameworkId === frameworkId && !TERMINAL_MESOS_STATES.has(task.state),
  );
  return {
    staying: ours
      .filter((task) => !released.has(task.taskId) && task.labels[LABELS.job])
      .map((task) => ({ jobId: task.labels[LABELS.job]!, agentId: task.agentId })),
    released: ours
      .filter((task) => released.has(task.taskId))
      .map((task) => ({ agentId: task.agentId, resources: task.resources })),
  };
}

export function placementProblems(input: CapacityInput): PlacementProblem[] {
  if (input.launches.length === 0) return [];
  const releasedByAgent = groupBy(input.released, (task) => task.agentId);
  const offerOf = new Map(
    input.agents.map((agent) => [agent.agentId, agentOffer(agent, releasedByAgent.get(agent.agentId) ?? [])]),
  );
  const offers = input.agents.filter((agent) => agent.active).map((agent) => offerOf.get(agent.agentId)!);
  // Only the launching jobs' own instances bear on their constraints.
  const launching = new Set(input.launches.map((launch) => launch.jobId));
  const running: RunningTask[] = input.staying.flatMap(({ jobId, agentId }) => {
    const offer = launching.has(jobId) ? offerOf.get(agentId) : undefined;
    if (!offer) return [];
    return [
      { jobId, agentId, hostname: offer.hostname, attributes: Object.fromEntries(attributeValues(offer)) },
    ];
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

/** Reads agents and this framework's tasks through the operator API, then checks the launches. */
export async function checkPlacement(
  client: OperatorClient,
  frameworkId: string | undefined,
  launches: readonly PlannedLaunch[],
  released: readonly string[],
): Promise<PlacementProblem[]> {
  if (launches.length === 0) return [];
  const releasedIds = new Set(released);
  const tasks: OperatorTask[] = [];
  const [agents] = await Promise.all([
    client.getAgents(),
    client.eachTask((json, list) => {
      // Only the framework's live tasks matter: the agents' totals already count the rest.
      if (list !== 'completed' && objectOf(json.framework_id).value === frameworkId)
        tasks.push(taskView(json));
    }),
  ]);
  return placementProblems({ launches, agents, ...splitOperatorTasks(tasks, frameworkId, releasedIds) });
}

/**
 * The offer of an agent the plan frees nothing on, by agent: the driver keeps its agent
 * listing's objects while the listing is current, so a check of a one-job plan builds none
 * of its 1,000 offers again. Placement copies what it claims from (OfferResources).
 */
const unchangedOffers = new WeakMap<OperatorAgent, MesosOffer>();

/** The agent's free resources as one offer: total, less what is allocated, plus what is released. */
function agentOffer(agent: OperatorAgent, released: readonly ReleasedResources[]): MesosOffer {
  if (released.length > 0) return freeOffer(agent, released);
  let offer = unchangedOffers.get(agent);
  if (!offer) unchangedOffers.set(agent, (offer = freeOffer(agent, released)));
  return offer;
}

function freeOffer(agent: OperatorAgent, released: readonly ReleasedResources[]): MesosOffer {
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

/**
 * `ranges` (ascending, non-overlapping) without the ports in `used`, in one sweep over both.
 * Ports fragment as tasks come and go: on a large cluster, subtracting the allocated ranges
 * one at a time from the free list made each placement check slow.
 */
export function subtractRanges(ranges: readonly PortRange[], used: readonly PortRange[]): PortRange[] {
  const taken = isAscending(used) ? used : [...used].sort((a, b) => a.begin - b.begin);
  const free: PortRange[] = [];
  let first = 0;
  for (const range of ranges) {
    while (first < taken.length && taken[first]!.end < range.begin) first++;
    let begin = range.begin;
    // A used range may reach into the next free range too, so the next one starts from `first` again.
    for (let next = first; next < taken.length && taken[next]!.begin <= range.end; next++) {
      const { begin: takenBegin, end: takenEnd } = taken[next]!;
      if (takenBegin > begin) free.push({ begin, end: takenBegin - 1 });
      begin = Math.max(begin, takenEnd + 1);
    }
    if (begin <= range.end) free.push({ begin, end: range.end });
  }
  return free;
}

function isAscending(ranges: readonly PortRange[]): boolean {
  for (let index = 1; index < ranges.length; index++)
    if (ranges[index]!.begin < ranges[index - 1]!.begin) return false;
  return true;
}
