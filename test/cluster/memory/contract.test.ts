/** The in-memory reference cluster against the Cluster contract. */
import { MemoryCluster } from '../../../src/cluster/memory/memory-cluster.js';
import { MemoryTasks } from '../../../src/cluster/memory/memory-tasks.js';
import { testCluster } from '../contract.js';

testCluster(
  'MemoryCluster',
  () => {
    const tasks = new MemoryTasks();
    return Promise.resolve({
      connect: () => Promise.resolve(new MemoryCluster(tasks)),
      starts: (taskId) => tasks.starts(taskId),
      cleanup: () => Promise.resolve(),
    });
  },
  { sameSnapshotWhileUnchanged: true },
);
