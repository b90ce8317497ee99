/** The Mesos driver on the protocol-faithful test master against the Cluster contract. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MesosCluster } from '../../../src/cluster/mesos/cluster.js';
import { FileStateStore } from '../../../src/state/file/file-store.js';
import { startQuickMaster } from '../../support/mesos-master/index.js';
import { testCluster } from '../contract.js';

testCluster(
  'MesosCluster',
  async () => {
    const master = await startQuickMaster(3);
    const stateDir = mkdtempSync(join(tmpdir(), 'borealis-mesos-contract-'));
    // The driver keeps its framework id and task records here: a restart reads them back.
    const store = await FileStateStore.open(stateDir);
    return {
      connect: async () => {
        const cluster = new MesosCluster({
          masters: [master.url],
          framework: { user: 'root', roles: ['test'] },
          store,
          log: () => undefined,
          missedHeartbeats: 5,
        });
        await cluster.start();
        return cluster;
      },
      starts: (taskId) =>
        master.calls.filter((call) => call.type === 'ACCEPT' && JSON.stringify(call.body).includes(taskId))
          .length,
      cleanup: async () => {
        await master.close();
        await store.close();
        rmSync(stateDir, { recursive: true, force: true });
        assert.deepEqual(master.violations, [], 'every request matched the Mesos message shapes');
      },
    };
  },
  { sameSnapshotWhileUnchanged: true },
);
