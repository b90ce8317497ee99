/** The local cluster (real supervisor processes on this machine) against the Cluster contract. */
import { localClusterFixture } from '../../support/local-cluster-fixture.js';
import { testCluster } from '../contract.js';

testCluster(
  'LocalCluster',
  async () => {
    const fixture = await localClusterFixture();
    return {
      connect: () => Promise.resolve(fixture.reopen().cluster),
      cleanup: () => fixture.cleanup(),
    };
  },
  // Every snapshot reads the sandboxes again: supervisors (and other LocalClusters on the
  // same root) write them, so there is no "nothing changed" to know without reading.
  { sameSnapshotWhileUnchanged: false },
);
