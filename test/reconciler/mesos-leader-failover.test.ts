/**
 * Several reconcilers, one Mesos framework: two `borealis watch` processes share state in a
 * real ZooKeeper and drive one test Mesos cluster. Only the elected leader subscribes (Mesos
 * keeps one subscription per framework); when it is SIGKILLed, the follower is elected,
 * subscribes as the same framework, reconciles every task, launches none again, and applies
 * the next commit.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { TempGitRepo } from '../support/git-repo.js';
import { jobObject } from '../support/jobs.js';
import {
  agents,
  MesosEnsemble,
  QUICK_TIMINGS,
  ROOMY_AGENT,
  type TaskView,
} from '../support/mesos-master/index.js';
import { logsOf, ReconcilerProcess } from '../support/reconciler-process.js';
import { runCli } from '../support/run-cli.js';
import { eventually } from '../support/waiting.js';
import { freePort, startZooKeeper, type ZooKeeperServer } from '../support/zookeeper.js';

// Short, so handovers are quick, yet long enough that a busy machine starving a
// reconciler of its pings (every third of it) does not expire its session.
const SESSION_MS = 4_000;

const web = (version: string) =>
  jobObject({
    cluster: 'west',
    name: 'web',
    instances: 3,
    service: true,
    update_config: { batch_size: 3, watch_secs: 0 },
    task: {
      processes: [{ name: 'main', cmdline: `serve --version ${version}` }],
      resources: { cpu: 0.5, ram: '64MiB', disk: '64MiB' },
    },
  });

describe('several reconcilers on one Mesos cluster', () => {
  let zk: ZooKeeperServer;
  let ensemble: MesosEnsemble;
  let repo: TempGitRepo;
  let reconcilers: ReconcilerProcess[] = [];

  const commit = (message: string, version: string) =>
    repo.commit(message, {
      'clusters.yaml': stringify({
        clusters: [{ name: 'west', type: 'mesos', master: ensemble.zkUrl, role: 'prod', user: 'root' }],
      }),
      'jobs/web.yaml': stringify(web(version)),
    });
  const ports = new Map<ReconcilerProcess, number>();
  const start = async (name: string) => {
    const port = await freePort();
    const reconciler = new ReconcilerProcess(name, {
      repo: repo.dir,
      state: `zk://${zk.connect}/borealis`,
      watchArgs: ['--cluster', 'west', '--listen', `127.0.0.1:${port}`, '--resync', '1'],
      env: { BOREALIS_ZK_SESSION_TIMEOUT_MS: String(SESSION_MS) },
    });
    ports.set(reconciler, port);
    return reconciler;
  };
  const master = () => ensemble.leader;
  const running = (): TaskView[] =>
    master()
      .tasks()
      .filter((t) => t.state === 'TASK_RUNNING');
  const subscribes = () => master().calls.filter((c) => c.type === 'SUBSCRIBE' && c.status === 200);

  before(async () => {
    zk = await startZooKeeper();
    ensemble = await MesosEnsemble.start(2, {
      agents: agents(10, ROOMY_AGENT),
      ...QUICK_TIMINGS,
      zookeeper: { connect: zk.connect },
    });
    repo = new TempGitRepo('borealis-mesos-ha-');
    commit('v1', 'v1');
    reconcilers = [await start('first'), await start('second')];
  });

  after(async () => {
    for (const reconciler of reconcilers) reconciler.kill('SIGTERM');
    await Promise.all(reconcilers.map((r) => r.exited));
    const violations = master().violations;
    await ensemble.close();
    await zk.stop();
    repo.remove();
    assert.deepEqual(violations, []);
  });

  it('only the leader subscribes as the framework and applies the commit', async () => {
    await eventually(() => reconcilers.some((r) => r.leads()), 20_000, 'a leader', 50);
    const leader = reconcilers.find((r) => r.leads())!;
    await leader.waitFor(/"v1" by .*: succeeded/, 60_000);
    assert.equal(running().length, 3);
    assert.equal(subscribes().length, 1, `the follower never subscribed; ${logsOf(reconcilers)}`);
    assert.equal(master().subscribedFrameworkIds().length, 1);
  });

  it('plan finds the elected leader in ZooKeeper: planned there, or here from its view, never from the master', async () => {
    const listings = () => master().operatorCalls.filter((c) => c.type === 'GET_TASKS').length;
    const before = listings();
    const plan = (...flags: string[]) =>
      runCli([
        '--repo',
        repo.dir,
        '--state',
        `zk://${zk.connect}/borealis`,
        '--cluster',
        'west',
        'plan',
        '-o',
        'json',
        ...flags,
      ]);
    const byLeader = await plan();
    const here = await plan('--no-ask-leader');
    for (const run of [byLeader, here]) {
      assert.equal(run.code, 0, run.stderr);
      assert.deepEqual((JSON.parse(run.stdout) as { summary: Record<string, number> }).summary.noop, 1);
    }
    assert.equal(byLeader.stdout, here.stdout);
    assert.equal(listings(), before, 'no GET_TASKS');
  });

  it('the follower serves the status API from the operator API, without subscribing', async () => {
    const follower = reconcilers.find((r) => !r.leads())!;
    const response = await fetch(`http://127.0.0.1:${ports.get(follower)}/api/status`);
    const report = (await response.json()) as {
      leader: boolean;
      jobs: { job: string; sync: string; health: string; instances: { state: string }[] }[];
    };
    assert.equal(report.leader, false);
    assert.deepEqual(
      report.jobs.map((job) => [job.job, job.sync, job.health, job.instances.map((i) => i.state)]),
      [['west/www-data/prod/web', 'synced', 'healthy', ['RUNNING', 'RUNNING', 'RUNNING']]],
    );
    assert.equal(subscribes().length, 1, logsOf(reconcilers));
  });

  it('a SIGKILLed leader is replaced by the follower, which takes over the same framework and its tasks', async () => {
    const leader = reconcilers.find((r) => r.leads())!;
    const follower = reconcilers.find((r) => r !== leader)!;
    const [frameworkId] = master().subscribedFrameworkIds();
    const tasks = running().map((t) => t.taskId);
    const from = master().calls.length;
    leader.kill('SIGKILL');
    await leader.exited;
    reconcilers = [follower];
    await follower.waitFor(/elected leader/, 3 * SESSION_MS + 5_000);
    await eventually(
      () =>
        master()
          .calls.slice(from)
          .some(
            (c) =>
              c.type === 'RECONCILE' &&
              (c.body as { reconcile: { tasks: unknown[] } }).reconcile.tasks.length === tasks.length,
          ) && master().subscribedFrameworkIds().join() === frameworkId,
      20_000,
      'the new leader subscribed as the same framework and reconciled every task',
      50,
    );
    const resubscribe = subscribes().at(-1)!.body as { framework_id?: { value: string } };
    assert.equal(resubscribe.framework_id?.value, frameworkId);
    assert.deepEqual(
      running()
        .map((t) => t.taskId)
        .sort(),
      [...tasks].sort(),
    );
    assert.equal(
      master()
        .calls.slice(from)
        .filter((c) => c.type === 'ACCEPT').length,
      0,
      'nothing launched again',
    );
  });

  it('the new leader applies the next commit', async () => {
    const leader = reconcilers.find((r) => r.leads())!;
    const before = new Set(running().map((t) => t.taskId));
    commit('v2', 'v2');
    await leader.waitFor(/"v2" by .*: succeeded/, 60_000);
    await eventually(
      () => running().length === 3 && running().every((t) => !before.has(t.taskId)),
      20_000,
      'three new tasks RUNNING',
      50,
    );
  });
});
