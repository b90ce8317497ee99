/**
 * With state in ZooKeeper, `plan` finds the leader through its election node. A leader
 * told to listen on port 0 is bound to a free port only after it joined the election; the
 * node must then say that port, not 0. A real ZooKeeper and a real `watch` process.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { leaderUrl } from '../../src/cli/compose/leader-address.js';
import { TempGitRepo } from '../support/git-repo.js';
import { ReconcilerProcess } from '../support/reconciler-process.js';
import { startZooKeeper, type ZooKeeperServer } from '../support/zookeeper.js';

describe('the leader found through ZooKeeper', () => {
  let zk: ZooKeeperServer;
  let repo: TempGitRepo;
  let sandboxes: string;
  let watch: ReconcilerProcess | undefined;

  before(async () => {
    zk = await startZooKeeper();
    repo = new TempGitRepo('borealis-zk-leader-');
    sandboxes = mkdtempSync(join(tmpdir(), 'borealis-zk-leader-sandboxes-'));
    repo.commit('a cluster, no jobs', {
      'clusters.yaml': stringify({ clusters: [{ name: 'local', type: 'local', sandbox_root: sandboxes }] }),
    });
  });
  after(async () => {
    watch?.kill('SIGKILL');
    await watch?.exited;
    await zk.stop();
    repo.remove();
    rmSync(sandboxes, { recursive: true, force: true });
  });

  it('is advertised with the port its server was bound to when it listens on port 0', async () => {
    const state = `zk://${zk.connect}/borealis`;
    watch = new ReconcilerProcess('zk-leader', {
      repo: repo.dir,
      state,
      watchArgs: ['--listen', '127.0.0.1:0', '--resync', '60'],
    });
    await watch.waitFor(/elected leader/, 20_000);
    await watch.waitFor(/HTTP on http:\/\/127\.0\.0\.1:\d+/, 20_000);
    const served = /HTTP on (http:\/\/127\.0\.0\.1:\d+)/.exec(watch.lines.join('\n'))![1]!;
    const found = await leaderUrl({ state, localDir: mkdtempSync(join(tmpdir(), 'borealis-zk-cli-')) });
    assert.deepEqual(found, { url: served });
    const health = await fetch(`${served}/healthz`);
    assert.equal(health.status, 200);
  });
});
