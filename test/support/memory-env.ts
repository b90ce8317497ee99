/**
 * A job repository in a real Git repository with an in-memory cluster and state store: for
 * daemon tests whose subject is what the reconciler decides and records, not processes.
 * Both outlive the daemons started on them, as a cluster and a state directory do.
 */
import { rmSync } from 'node:fs';
import { MemoryCluster } from '../../src/cluster/memory/memory-cluster.js';
import { MemoryTasks, type MemoryTasksOptions } from '../../src/cluster/memory/memory-tasks.js';
import { MemoryStateStore, type MemoryRecords } from '../../src/state/memory/memory-store.js';
import type { StateStore } from '../../src/state/types.js';
import { JobsEnv } from './deploy-env.js';

export class MemoryEnv extends JobsEnv {
  /** What the cluster's machines run; every task runs at once unless `options` script it otherwise. */
  readonly machines: MemoryTasks;
  readonly records: MemoryRecords = new Map();

  constructor(options: MemoryTasksOptions = {}) {
    super();
    this.machines = new MemoryTasks(options);
  }

  openCluster(): MemoryCluster {
    return new MemoryCluster(this.machines);
  }

  openStore(): Promise<StateStore> {
    return Promise.resolve(new MemoryStateStore(this.records));
  }

  cleanup(): Promise<void> {
    this.repo.remove();
    rmSync(this.state, { recursive: true, force: true });
    return Promise.resolve();
  }
}
