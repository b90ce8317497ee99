/**
 * A cluster that only acts for the leader. Before every launch, kill or forget it proves,
 * with a round trip to ZooKeeper, that this reconciler's election node still exists in its
 * own session; a reconciler whose session expired (and whose successor may already be
 * acting) fails instead of touching the cluster. Reads are never fenced.
 */
import { BorealisError } from '../errors.js';
import type { Cluster, ObservedTask, TaskLaunch, TaskStatusUpdate } from './types.js';

export interface LeadershipProof {
  /** True only if this process still holds leadership, checked against ZooKeeper now. */
  confirm(): Promise<boolean>;
}

export class NotLeaderError extends BorealisError {
  constructor(action: string) {
    super('NOT_LEADER', `refusing to ${action}: this reconciler is not (or no longer) the leader`, {
      hint: 'another reconciler leads; only the leader acts on the cluster',
    });
    this.name = 'NotLeaderError';
  }
}

export class FencedCluster implements Cluster {
  constructor(
    private readonly inner: Cluster,
    private readonly proof: LeadershipProof,
  ) {}

  get kind(): string {
    return this.inner.kind;
  }

  snapshot(): Promise<readonly ObservedTask[]> {
    return this.inner.snapshot();
  }

  async launch(tasks: TaskLaunch[]): Promise<void> {
    if (tasks.length === 0) return;
    await this.guard('launch tasks');
    await this.inner.launch(tasks);
  }

  async kill(taskIds: string[]): Promise<void> {
    if (taskIds.length === 0) return;
    await this.guard('kill tasks');
    await this.inner.kill(taskIds);
  }

  async forget(taskIds: string[]): Promise<void> {
    if (taskIds.length === 0) return;
    await this.guard('forget tasks');
    await this.inner.forget(taskIds);
  }

  subscribe(listener: (update: TaskStatusUpdate) => void): () => void {
    return this.inner.subscribe(listener);
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  private async guard(action: string): Promise<void> {
    if (!(await this.proof.confirm())) throw new NotLeaderError(action);
  }
}
