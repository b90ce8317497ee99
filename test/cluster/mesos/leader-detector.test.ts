import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { detectLeader, leaderOrder, masterUrl } from '../../../src/cluster/mesos/leader-detector.js';
import { ZkSession } from '../../../src/zookeeper/session.js';
import { startZooKeeper, type ZooKeeperServer } from '../../support/zookeeper.js';
import { MESOS_FIXTURES } from '../../support/fixtures.js';

const FIXTURES = `${MESOS_FIXTURES}corrected/`;
const masterInfo = (
  JSON.parse(readFileSync(`${FIXTURES}SUBSCRIBED.scheduler.event.json`, 'utf8')) as {
    subscribed: { master_info: Record<string, unknown> };
  }
).subscribed.master_info;

describe('leading Mesos master from ZooKeeper', () => {
  let zk: ZooKeeperServer;
  let session: ZkSession;

  before(async () => {
    zk = await startZooKeeper();
    session = await ZkSession.open({ connect: zk.connect });
    await session.mkdirp('/mesos');
  });
  after(async () => {
    session.close();
    await zk.stop();
  });

  it('reads the address of a real MasterInfo', () => {
    assert.equal(masterUrl(masterInfo), 'http://127.0.1.1:34626');
  });

  it('orders json.info_ members by sequence and ignores the legacy info_ nodes', () => {
    assert.deepEqual(
      leaderOrder(['info_0000000001', 'json.info_0000000010', 'json.info_0000000002', 'log_replicas']),
      ['json.info_0000000002', 'json.info_0000000010'],
    );
  });

  it('finds the member with the lowest sequence, and the next one when it goes', async () => {
    const info = (ip: string, port: number) =>
      Buffer.from(JSON.stringify({ ...masterInfo, address: { hostname: 'm', ip, port } }));
    const first = await session.create('/mesos/json.info_', info('10.0.0.1', 5050), 'ephemeral-sequential');
    await session.create('/mesos/json.info_', info('10.0.0.2', 5051), 'ephemeral-sequential');
    await session.create('/mesos/info_', Buffer.from([0x0a, 0x01]), 'ephemeral-sequential');
    assert.equal(await detectLeader(`zk://${zk.connect}/mesos`), 'http://10.0.0.1:5050');
    await session.remove(first);
    assert.equal(await detectLeader(`zk://${zk.connect}/mesos`), 'http://10.0.0.2:5051');
  });

  it('says so when no master is registered', async () => {
    await assert.rejects(
      detectLeader(`zk://${zk.connect}/nowhere`),
      /no Mesos master is registered under zk:\/\/.*\/nowhere/,
    );
  });
});
