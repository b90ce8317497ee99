/**
 * A Mesos cluster read through the operator API, without the framework's subscription:
 * what `status` and `plan` show, and what a reconciler that follows reads. It can look,
 * not act: launching and killing take the subscription, which only the leader holds.
 */
import { BorealisError } from '../../errors.js';
import type { Cluster, ObservedTask, PlacementProblem, PlannedLaunch, TaskStatusUpdate } from '../types.js';
import { checkPlacement } from './capacity.js';
import { observedTask } from './observed.js';
import { objectOf, taskSummary } from './operator-views.js';
import type { OperatorClient } from './operator-client.js';

export interface OperatorClusterOptions {
  /** Opened on first use (finding the leading master may take a ZooKeeper round trip). */
  client: () => Promise<OperatorClient>;
  /** The framework whose tasks are Borealis's, as the driver recorded it; undefined before the first subscribe. */
  frameworkId: () => Promise<string | undefined>;
}

export class OperatorCluster implements Cluster {
  readonly kind = 'mesos';
  private opened: Promise<OperatorClient> | undefined;

  constructor(private readonly options: OperatorClusterOptions) {}

  /** Every task of every list, read as GET_TASKS streams in, other frameworks' tasks skipped unread. */
  async snapshot(): Promise<readonly ObservedTask[]> {
    const frameworkId = await this.options.frameworkId();
    if (frameworkId === undefined) return [];
    const client = await this.client();
    const hosts = new Map((await client.getAgents()).map((agent) => [agent.agentId, agent.hostname]));
    const now = Date.now();
    const observed: ObservedTask[] = [];
    await client.eachTask((json) => {
      if (objectOf(json.framework_id).value !== frameworkId) return;
      const task = observedTask(
        taskSummary(json),
        hosts.get(objectOf(json.agent_id).value as string) ?? '',
        now,
      );
      if (task) observed.push(task);
    });
    return observed;
  }

  async placementProblems(
    launches: readonly PlannedLaunch[],
    released: readonly string[],
  ): Promise<PlacementProblem[]> {
    return checkPlacement(await this.client(), await this.options.frameworkId(), launches, released);
  }

  launch(): Promise<void> {
    return readOnly('launch tasks');
  }

  kill(): Promise<void> {
    return readOnly('kill tasks');
  }

  forget(): Promise<void> {
    return readOnly('forget tasks');
  }

  /** The operator API is polled, not subscribed to: no updates arrive. */
  subscribe(_listener: (update: TaskStatusUpdate) => void): () => void {
    return () => {};
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  private client(): Promise<OperatorClient> {
    this.opened ??= this.options.client().catch((error: unknown) => {
      this.opened = undefined;
      throw error;
    });
    return this.opened;
  }
}

function readOnly(action: string): Promise<never> {
  return Promise.reject(
    new BorealisError('MESOS_READ_ONLY', `cannot ${action} through the operator API`, {
      hint: 'only the reconciler subscribed as the framework (`borealis reconcile` or the leading `borealis watch`) acts on Mesos',
    }),
  );
}
