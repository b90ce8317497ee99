/** The small decisions of the CLI's composition: this machine's directory, and what the environment says about ZooKeeper. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { asideDir, localDir, recordsSnapshotFile, specCacheFile } from '../../src/cli/compose/local-dir.js';
import { zkAuth, zkSessionTimeoutMs } from '../../src/cli/compose/zookeeper.js';

describe("this machine's directory", () => {
  it('is the state directory, or the repository’s .borealis when state lives in ZooKeeper', () => {
    assert.equal(localDir({ state: '/var/borealis', home: '/repo/.borealis' }), '/var/borealis');
    assert.equal(localDir({ state: 'zk://zk1:2181/borealis', home: '/repo/.borealis' }), '/repo/.borealis');
    assert.equal(localDir({ state: 'zk://zk1:2181/borealis' }), '.borealis');
  });

  it('holds the caches, and one set-aside directory per run named by its UTC time', () => {
    const options = { state: '/var/borealis' };
    assert.equal(specCacheFile(options), '/var/borealis/cache/specs.json');
    assert.equal(recordsSnapshotFile(options), '/var/borealis/cache/job-records.json');
    const at = new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 6));
    assert.equal(asideDir(options, at), '/var/borealis/corrupt/2026-01-02T03-04-05-006Z');
  });
});

describe('ZooKeeper settings from the environment', () => {
  it('takes digest credentials from BOREALIS_ZK_DIGEST only when set', () => {
    assert.deepEqual(zkAuth({ BOREALIS_ZK_DIGEST: 'ops:secret' }), { digest: 'ops:secret' });
    assert.equal(zkAuth({ BOREALIS_ZK_DIGEST: '' }), undefined);
    assert.equal(zkAuth({}), undefined);
  });

  it('takes a positive session timeout in ms, and ignores anything else', () => {
    assert.equal(zkSessionTimeoutMs({ BOREALIS_ZK_SESSION_TIMEOUT_MS: '2000' }), 2000);
    for (const value of ['0', '-5', 'soon', '', undefined])
      assert.equal(zkSessionTimeoutMs({ BOREALIS_ZK_SESSION_TIMEOUT_MS: value }), undefined, String(value));
  });
});
