/**
 * Damaged records on the ZooKeeper store, on a real server: a znode that does not hold a
 * record is a StateCorruptError naming the znode, history skips one, and repairState moves
 * it into a local file and rebuilds what the history and Git (here: the specs a commit
 * declares) give back.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DeploymentLog, type DeploymentRecord } from '../../src/state/deployments.js';
import { Records } from '../../src/state/records.js';
import { repairState } from '../../src/state/repair.js';
import { encodeKeySegment, StateCorruptError } from '../../src/state/types.js';
import { ZooKeeperStateStore } from '../../src/state/zookeeper/zookeeper-store.js';
import { setWarningSink } from '../../src/util/warnings.js';
import { ZkSession } from '../../src/zookeeper/session.js';
import { recorded, spec } from '../support/specs.js';
import { startZooKeeper, type ZooKeeperServer } from '../support/zookeeper.js';

const CHROOT = '/borealis-damage/state';
const web = spec({ name: 'web' });
const person = { name: 'Ada', email: 'ada@example.com' };
const deployment = (commit: string): Omit<DeploymentRecord, 'sequence' | 'format'> => ({
  commit,
  parent_applied: null,
  author: person,
  committer: person,
  date: '2026-12-01T00:00:00Z',
  message: `deploy ${commit}`,
  signature: { status: 'N', trusted: false, detail: 'unsigned' },
  trigger: 'watch',
  cluster: 'local',
  outcome: 'succeeded',
  jobs: [],
  errors: [],
  started_at: '2026-12-01T00:00:00Z',
  finished_at: '2026-12-01T00:01:00Z',
});

describe('ZooKeeper store: damaged records', () => {
  let zk: ZooKeeperServer;
  let session: ZkSession;
  let store: ZooKeeperStateStore;
  let aside: string;
  const warnings: string[] = [];
  let restoreWarnings: () => void;

  before(async () => {
    zk = await startZooKeeper();
    session = await ZkSession.open({ connect: zk.connect, sessionTimeoutMs: 4_000 });
    store = await ZooKeeperStateStore.open({ session, chroot: CHROOT });
    aside = mkdtempSync(join(tmpdir(), 'borealis-zk-aside-'));
    restoreWarnings = setWarningSink((message) => warnings.push(message));
    const records = new Records(store);
    await records.setApplied('c1', 1);
    await records.putJobs([recorded(web, 'c1')]);
    const log = new DeploymentLog(store);
    await log.append(deployment('c0'));
    await log.append(deployment('c1'));
  });
  after(async () => {
    restoreWarnings();
    await store.close();
    session.close();
    await zk.stop();
    rmSync(aside, { recursive: true, force: true });
  });

  const znode = (key: string) => `${CHROOT}/${key}`;
  const jobKey = `jobs/${encodeKeySegment(web.id)}`;

  it('reports a znode that is not a record with its path, and history skips one', async () => {
    await session.set(znode('applied'), Buffer.from('{"trunc'));
    await session.set(znode(jobKey), Buffer.from(JSON.stringify({ format: 1, id: web.id })));
    await session.set(znode('deployments/000000000001'), Buffer.from([0x00, 0xff, 0x01]));
    const records = new Records(store);
    await assert.rejects(records.applied(), (error: unknown) => {
      assert.ok(error instanceof StateCorruptError);
      assert.match(error.message, new RegExp(`at ${znode('applied')} is unreadable`));
      assert.match(error.hint ?? '', /borealis state repair/);
      return true;
    });
    await assert.rejects(records.jobs(), /field commit is undefined, expected string/);
    const listed = await new DeploymentLog(store).list();
    assert.deepEqual(
      listed.map((record) => record.commit),
      ['c1'],
    );
    assert.match(warnings.join('\n'), /skipped deployment record deployments\/000000000001/);
  });

  it('state repair moves the znodes into local files and rebuilds the applied commit and the job record', async () => {
    const actions = await repairState({
      records: new Records(store),
      asideDir: aside,
      dryRun: false,
      jobsAt: (commit) => Promise.resolve(commit === 'c1' ? [web] : []),
      now: () => 5,
    });
    assert.deepEqual(
      actions.map((action) => `${action.kind} ${action.key}`).sort(),
      [
        'moved applied',
        'moved deployments/000000000001',
        `moved ${jobKey}`,
        'rebuilt applied',
        `rebuilt ${jobKey}`,
      ].sort(),
    );
    assert.equal(readFileSync(join(aside, 'applied.znode'), 'utf8'), '{"trunc', 'kept as it was');
    const records = new Records(store);
    assert.equal((await records.applied())?.commit, 'c1', 'from the newest succeeded deployment');
    assert.deepEqual(
      (await records.jobs()).map((job) => [job.id, job.configHash, job.commit]),
      [[web.id, web.configHash, 'c1']],
    );
    assert.deepEqual(
      (await new DeploymentLog(store).list()).map((record) => record.commit),
      ['c1'],
    );
  });
});
