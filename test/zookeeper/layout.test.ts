/**
 * Borealis's znodes under the chroot. Reconcilers of one version find those of the one
 * before through these paths during a rolling upgrade, so they are pinned here: changing
 * them is a change of the on-ZooKeeper layout, not a refactoring.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { leaderPath, statePath } from '../../src/zookeeper/layout.js';

describe('the ZooKeeper layout', () => {
  it('elects under <chroot>/leader and keeps records under <chroot>/state', () => {
    assert.equal(leaderPath('/borealis'), '/borealis/leader');
    assert.equal(statePath('/borealis'), '/borealis/state');
    assert.equal(leaderPath('/borealis/clusters/west'), '/borealis/clusters/west/leader');
  });

  it('reads a chroot written with trailing slashes as the same chroot', () => {
    assert.equal(leaderPath('/borealis//'), '/borealis/leader');
    assert.equal(statePath('/borealis/'), '/borealis/state');
  });
});
