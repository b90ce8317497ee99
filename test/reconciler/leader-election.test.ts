/**
 * Invariant 4: with several reconcilers against one ZooKeeper and one local cluster, only
 * the leader changes the cluster. Real ZooKeeper, real reconciler processes, real tasks.
 * The cluster's own record of calls is its sandboxes: every launch makes one.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { LocalCluster } from '../../src/cluster/local/cluster.js';
import { isTerminal, type ObservedTask } from '../../src/cluster/types.js';
import { DeploymentLog, type DeploymentRecord } from '../../src/state/deployments.js';
import { ZooKeeperStateStore } from '../../src/state/zookeeper/zookeeper-store.js';
import { ZkSession } from '../../src/zookeeper/session.js';
import { TempGitRepo } from '../support/git-repo.js';
import { jobObject } from '../support/jobs.js';
import { logsOf, ReconcilerProcess } from '../support/reconciler-process.js';
import { runCli } from '../support/run-cli.js';
import { budgetMs } from '../support/time-scale.js';
import { eventually } from '../support/waiting.js';
import {
  expireSessions,
  startProxy,
  startZooKeeper,
  type TcpProxy,
  type ZooKeeperServer,
} from '../support/zookeeper.js';

// Short, so handovers are quick, yet long enough that a busy machine starving a
// reconciler of its pings (every third of it) does not expire its session.
const SESSION_MS = 4_000;

const web = (version: string, watchSecs = 0) =>
  jobObject({
    name: 'web',
    instances: 3,
    service: true,
    update_config: { batch_size: 1, watch_secs: watchSecs },
    announce: { primary_port: 'http' },
    task: {
      processes: [{ name: 'main', cmdline: `echo ${version}; exec sleep 1000`, min_duration: 0 }],
      resources: { cpu: 0.1, ram: '16MiB', disk: '16MiB', ports: ['http'] },
      finalization_wait: 1,
    },
  });

describe('several reconcilers, one leader', () => {
  let zk: ZooKeeperServer;
  let repo: TempGitRepo;
  let sandboxes: string;
  let reconcilers: ReconcilerProcess[] = [];
  const proxies = new Map<string, TcpProxy>();
  let reader: ZkSession;

  const commit = (message: string, job: Record<string, unknown>) =>
    repo.commit(message, {
      'clusters.yaml': stringify({ clusters: [{ name: 'local', type: 'local', sandbox_root: sandboxes }] }),
      'jobs/web.yaml': stringify(job),
    });
  const tasks = async (): Promise<readonly ObservedTask[]> => {
    const cluster = new LocalCluster({ root: sandboxes });
    try {
      return await cluster.snapshot();
    } finally {
      await cluster.close();
    }
  };
  const record = async (sha: string): Promise<DeploymentRecord | null> =>
    new DeploymentLog(await ZooKeeperStateStore.open({ session: reader, chroot: '/borealis/state' })).find(
      sha,
    );
  const finished = async (sha: string, ms: number): Promise<DeploymentRecord> => {
    let found: DeploymentRecord | null = null;
    await eventually(
      async () => (found = await record(sha)) !== null && found.outcome !== 'in_progress',
      ms,
      `the deployment of ${sha.slice(0, 12)}`,
      200,
    );
    return found!;
  };
  const leaders = () => reconcilers.filter((r) => r.leads());
  /** The ServerSet members of the web job, as any ZooKeeper client sees them. */
  const members = async (): Promise<{ shard: number; port: number }[]> => {
    const dir = '/aurora/www-data/prod/web';
    const names = (await reader.children(dir)) ?? [];
    const found = await Promise.all(names.map((name) => reader.get(`${dir}/${name}`)));
    return found
      .filter((node) => node !== null)
      .map(
        (node) =>
          JSON.parse(node.data.toString('utf8')) as { shard: number; serviceEndpoint: { port: number } },
      )
      .map((member) => ({ shard: member.shard, port: member.serviceEndpoint.port }))
      .sort((a, b) => a.shard - b.shard);
  };
  /** Members match the live tasks: one per instance, on the instance's own http port. */
  const announcedLiveTasks = async (): Promise<boolean> => {
    const live = (await tasks()).filter((t) => !isTerminal(t.state)).sort((a, b) => a.instance - b.instance);
    const expected = live.map((t) => ({ shard: t.instance, port: t.ports.http! }));
    return JSON.stringify(await members()) === JSON.stringify(expected);
  };

  before(async () => {
    zk = await startZooKeeper({ tickTimeMs: 500 });
    repo = new TempGitRepo('borealis-ha-');
    sandboxes = mkdtempSync(join(tmpdir(), 'borealis-ha-sandboxes-'));
    reader = await ZkSession.open({ connect: zk.connect });
  });
  after(async () => {
    for (const r of reconcilers) r.kill('SIGKILL');
    await Promise.all(reconcilers.map((r) => r.exited));
    const cluster = new LocalCluster({ root: sandboxes });
    await cluster.kill((await cluster.snapshot()).filter((t) => !isTerminal(t.state)).map((t) => t.taskId));
    await eventually(
      async () => (await cluster.snapshot()).every((t) => isTerminal(t.state)),
      15_000,
      'every task to end',
      100,
    );
    await cluster.close();
    reader.close();
    for (const proxy of proxies.values()) await proxy.close();
    await zk.stop();
    repo.remove();
    rmSync(sandboxes, { recursive: true, force: true });
  });

  it('three reconcilers elect exactly one leader, which alone applies the commit', async () => {
    const first = commit('v1', web('v1'));
    // Each reconciler reaches ZooKeeper through its own proxy, so one can be cut off alone.
    for (const name of ['a', 'b', 'c']) proxies.set(name, await startProxy(zk.port));
    reconcilers = ['a', 'b', 'c'].map(
      (name) =>
        new ReconcilerProcess(name, {
          repo: repo.dir,
          state: `zk://${proxies.get(name)!.connect}/borealis`,
          env: { BOREALIS_ZK_SESSION_TIMEOUT_MS: String(SESSION_MS) },
        }),
    );
    await Promise.all(reconcilers.map((r) => r.waitFor(/elected leader|watching/, 20_000)));
    const deployed = await finished(first, 30_000);
    assert.equal(deployed.outcome, 'succeeded');
    assert.equal(leaders().length, 1, logsOf(reconcilers));
    assert.equal(readdirSync(sandboxes).length, 3, 'one launch per instance, by one reconciler');
    const followers = reconcilers.filter((r) => !r.leads());
    for (const follower of followers)
      assert.ok(!follower.lines.some((line) => /INSTANCE_UPDATING/.test(line)), `${follower.name} acted`);
    await eventually(announcedLiveTasks, 10_000, 'a ServerSet member for each running instance', 100);
    const status = await runCli(['--state', `zk://${zk.connect}/borealis`, 'status', '-o', 'json']);
    const shown = JSON.parse(status.stdout) as { leader: { pid: number }; applied_commit: string };
    assert.equal(shown.leader.pid, leaders()[0]!.pid, 'status names the leading reconciler');
    assert.equal(shown.applied_commit, first, 'any process reads the shared records');
  });

  it('a SIGKILLed leader is replaced within the session timeout and the new leader resumes its rolling update', async () => {
    const second = commit('v2 slow', web('v2', 2));
    const [leader] = leaders();
    assert.ok(leader);
    await leader.waitFor(/INSTANCE_UPDATED/, 30_000);
    const killedAt = Date.now();
    leader.kill('SIGKILL');
    await leader.exited;
    const survivors = reconcilers.filter((r) => r !== leader);
    await eventually(
      () => survivors.some((r) => r.leads()),
      SESSION_MS * 3 + 5_000,
      () => `a new leader; ${logsOf(survivors)}`,
      50,
    );
    // Within the session timeout (at most 20 ticks, negotiated) plus what a busy machine
    // adds; far below the next resync or any retry a broken election would wait for.
    const handover = Date.now() - killedAt;
    assert.ok(handover <= SESSION_MS * 3 + budgetMs(10_000), `handover took ${handover} ms`);
    const deployed = await finished(second, 60_000);
    assert.equal(deployed.outcome, 'succeeded');
    const all = await tasks();
    const live = all.filter((t) => !isTerminal(t.state));
    assert.equal(live.length, 3);
    assert.ok(live.every((t) => t.commit === second));
    const v2Hash = live[0]!.configHash;
    assert.equal(
      all.filter((t) => t.configHash === v2Hash).length,
      3,
      'no instance launched twice across the handover',
    );
    reconcilers = survivors;
  });

  it("expiring the leader's session makes it stop acting before another leader acts", async () => {
    const [leader] = leaders();
    assert.ok(leader);
    const other = reconcilers.find((r) => r !== leader)!;
    const third = commit('v3 slow', web('v3', 2));
    await leader.waitFor(/INSTANCE_UPDATED/, 30_000);
    const linesBefore = leader.lines.length;
    await expireSessions(proxies.get(leader.name)!, zk, SESSION_MS);
    await eventually(
      () => other.leads(),
      SESSION_MS * 3 + 5_000,
      () => `${other.name} to lead; ${logsOf(reconcilers)}`,
      50,
    );
    const stamp = (line: string | undefined) => Date.parse(line?.slice(0, 24) ?? '');
    const stoppedAt = stamp(
      leader.lines.slice(linesBefore).find((line) => /not the leader|leadership lost/.test(line)),
    );
    const electedAt = stamp([...other.lines].reverse().find((line) => /elected leader/.test(line)));
    assert.ok(
      stoppedAt < electedAt,
      `old leader stopped at ${stoppedAt}, new leader elected at ${electedAt}`,
    );
    const actedAfter = leader.lines
      .slice(linesBefore)
      .filter((line) => stamp(line) >= electedAt && /INSTANCE_(UPDATING|UPDATED)|LAUNCHED|KILLED/.test(line));
    assert.deepEqual(actedAfter, [], 'the expired leader did nothing once the new leader was elected');
    const deployed = await finished(third, 60_000);
    assert.equal(deployed.outcome, 'succeeded');
    const all = await tasks();
    const live = all.filter((t) => !isTerminal(t.state));
    assert.equal(live.length, 3);
    assert.ok(live.every((t) => t.commit === third));
    assert.equal(
      all.filter((t) => t.configHash === live[0]!.configHash).length,
      3,
      'no instance launched twice',
    );
    // The expired leader's members went with its session; the new leader announces its own.
    await eventually(announcedLiveTasks, 10_000, 'members re-announced by the new leader', 100);
  });

  it('survives a ZooKeeper restart: reconnects, converges on the next commit, loses no record', async () => {
    const before = await new DeploymentLog(
      await ZooKeeperStateStore.open({ session: reader, chroot: '/borealis/state' }),
    ).list(100);
    reader.close();
    await zk.restart();
    reader = await ZkSession.open({ connect: zk.connect });
    const fourth = commit('v4 after restart', web('v4'));
    const deployed = await finished(fourth, 60_000);
    assert.equal(deployed.outcome, 'succeeded');
    const afterwards = await new DeploymentLog(
      await ZooKeeperStateStore.open({ session: reader, chroot: '/borealis/state' }),
    ).list(100);
    for (const record of before)
      assert.ok(
        afterwards.some((r) => r.sequence === record.sequence && r.commit === record.commit),
        `record ${record.sequence} kept`,
      );
    assert.equal(leaders().length, 1);
    const live = (await tasks()).filter((t) => !isTerminal(t.state));
    assert.ok(live.length === 3 && live.every((t) => t.commit === fourth));
  });
});
