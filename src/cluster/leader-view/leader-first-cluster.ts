/** A `Cluster` that reads the leader's view when there is one, and acts only through the cluster itself. */
import type { Cluster, ObservedTask } from '../types.js';

export interface LeaderFirstOptions {
  /** The leader's tasks, read afresh on every call; undefined when there is no leader to ask. */
  view: () => Promise<ObservedTask[] | undefined>;
  /** The cluster itself, read when the leader cannot say. */
  fallback: Cluster;
}

/** Reads the leader's view when there is one, else the cluster; acts only through the cluster. */
export class LeaderFirstCluster implements Cluster {
  readonly kind: string;
  readonly placementProblems: Cluster['placementProblems'];

  constructor(private readonly options: LeaderFirstOptions) {
    this.kind = options.fallback.kind;
    const { fallback } = options;
    this.placementProblems = fallback.placementProblems?.bind(fallback);
  }

  async snapshot(): Promise<readonly ObservedTask[]> {
    return (await this.options.view()) ?? this.options.fallback.snapshot();
  }

  launch(...args: Parameters<Cluster['launch']>): Promise<void> {
    return this.options.fallback.launch(...args);
  }

  kill(...args: Parameters<Cluster['kill']>): Promise<void> {
    return this.options.fallback.kill(...args);
  }

  forget(...args: Parameters<Cluster['forget']>): Promise<void> {
    return this.options.fallback.forget(...args);
  }

  subscribe(...args: Parameters<Cluster['subscribe']>): () => void {
    return this.options.fallback.subscribe(...args);
  }

  close(): Promise<void> {
    return this.options.fallback.close();
  }
}
