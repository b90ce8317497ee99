/**
 * Issue 6's acceptance, end to end: `borealis watch` as a real process runs example-repo/
 * (its job files unchanged; clusters.yaml names a Mesos cluster) on two protocol-faithful
 * test masters with 50 agents, registered in a real ZooKeeper the way Mesos masters are.
 * A rolling update completes while an agent is lost under it; a master failover, a dropped
 * subscription and a SIGKILLed reconciler are each survived with the same framework id,
 * explicit reconciliation and no task launched twice.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { stringify } from 'yaml';
import type { JobStatus } from '../../src/status/job-status.js';
import { exampleFiles, exampleRepo } from '../support/example-repo.js';
import type { TempGitRepo } from '../support/git-repo.js';
import {
  agents,
  MesosEnsemble,
  QUICK_TIMINGS,
  ROOMY_AGENT,
  type CallRecord,
  type TaskView,
} from '../support/mesos-master/index.js';
import { ReconcilerProcess } from '../support/reconciler-process.js';
import { runCli } from '../support/run-cli.js';
import { eventually } from '../support/waiting.js';
import { freePort, startZooKeeper, type ZooKeeperServer } from '../support/zookeeper.js';

const ACTIVE = new Set(['TASK_STAGING', 'TASK_STARTING', 'TASK_RUNNING', 'TASK_KILLING']);
/** Instances example-repo declares that keep running (hello_world is a batch job that finishes). */
const SERVICES: Record<string, number> = { hello_http: 3, ordered_site: 1, emails: 2, thumbnails: 2 };

describe('Borealis on Mesos, end to end: example-repo on 50 agents', () => {
  let zk: ZooKeeperServer;
  let ensemble: MesosEnsemble;
  let repo: TempGitRepo;
  let state: string;
  let port: number;
  let reconciler: ReconcilerProcess;
  let frameworkId: string;

  const startReconciler = () =>
    new ReconcilerProcess('mesos', {
      repo: repo.dir,
      state,
      watchArgs: ['--listen', `127.0.0.1:${port}`, '--resync', '1'],
    });
  const master = () => ensemble.leader;
  const live = (): TaskView[] =>
    master()
      .tasks()
      .filter((t) => ACTIVE.has(t.state));
  const liveIds = () => new Set(live().map((t) => t.taskId));
  const jobOf = (t: TaskView) => t.name.split('.')[2]!;
  const callsSince = (from: number): CallRecord[] => master().calls.slice(from);
  const status = async (): Promise<JobStatus[]> => {
    const response = await fetch(`http://127.0.0.1:${port}/api/status`);
    return ((await response.json()) as { jobs: JobStatus[] }).jobs;
  };
  /** The daemon says every job is in sync and the master runs exactly the declared instances. */
  const converged = async (): Promise<boolean> => {
    const jobs = await status().catch(() => []);
    const counts = Object.entries(SERVICES).every(
      ([name, count]) =>
        live().filter((t) => jobOf(t) === name && t.state === 'TASK_RUNNING').length === count,
    );
    return (
      jobs.length === 5 &&
      jobs.every((job) => job.sync === 'synced' && job.health === 'healthy') &&
      counts &&
      live().length === 8
    );
  };
  const waitConverged = () =>
    eventually(converged, 60_000, `convergence; daemon log:\n${reconciler.lines.slice(-40).join('\n')}`, 100);
  /** Re-subscribed as the same framework and asked explicitly about every running task. */
  const resubscribed = async (from: number, tasks: number) => {
    const reconciled = () =>
      callsSince(from)
        .filter((c) => c.type === 'RECONCILE')
        .map((c) => (c.body as { reconcile: { tasks: unknown[] } }).reconcile.tasks.length);
    const subscribedAs = () =>
      callsSince(from)
        .filter((c) => c.type === 'SUBSCRIBE' && c.status === 200)
        .map((c) => (c.body as { framework_id?: { value: string } }).framework_id?.value);
    await eventually(
      () =>
        subscribedAs().includes(frameworkId) &&
        reconciled().includes(tasks) &&
        master().subscribedFrameworkIds().join() === frameworkId,
      30_000,
      `a re-subscribe as ${frameworkId} with explicit reconciliation of ${tasks} tasks`,
      50,
    ).catch((error: Error) => {
      throw new Error(
        `${error.message}: subscribed as ${subscribedAs().join()}, reconciled ${reconciled().join()}`,
      );
    });
  };
  const launchesSince = (from: number) => callsSince(from).filter((c) => c.type === 'ACCEPT').length;
  /** GET_TASKS requests the masters (who share one record of calls) have answered so far. */
  const tasksListings = () => master().operatorCalls.filter((c) => c.type === 'GET_TASKS').length;
  const planNow = async (): Promise<{ summary: Record<string, number> }> => {
    const run = await runCli(['--repo', repo.dir, '--state', state, 'plan', '-o', 'json']);
    assert.equal(run.code, 0, run.stderr);
    return JSON.parse(run.stdout) as { summary: Record<string, number> };
  };

  before(async () => {
    zk = await startZooKeeper();
    ensemble = await MesosEnsemble.start(2, {
      agents: agents(50, ROOMY_AGENT),
      ...QUICK_TIMINGS,
      zookeeper: { connect: zk.connect },
      // `echo hello world` exits at once; everything else in example-repo keeps running.
      behaviour: (info) =>
        String(info.name).includes('.hello_world.') ? { kind: 'finishes', afterMs: 100 } : { kind: 'runs' },
    });
    const clusters = {
      clusters: [{ name: 'local', type: 'mesos', master: ensemble.zkUrl, role: 'prod', user: 'root' }],
    };
    repo = exampleRepo({ 'clusters.yaml': stringify(clusters) });
    state = mkdtempSync(join(tmpdir(), 'borealis-mesos-e2e-'));
    port = await freePort();
    reconciler = startReconciler();
  });

  after(async () => {
    reconciler.kill('SIGTERM');
    await reconciler.exited;
    const violations = ensemble.leader.violations;
    await ensemble.close();
    await zk.stop();
    repo.remove();
    rmSync(state, { recursive: true, force: true });
    assert.deepEqual(violations, [], 'every request Borealis sent matched the Mesos message shapes');
  });

  it('deploys example-repo: every service instance RUNNING and healthy, spread across hosts', async () => {
    await reconciler.waitFor(/: succeeded/, 60_000);
    await waitConverged();
    const web = live().filter((t) => jobOf(t) === 'hello_http');
    const offerCalls = master()
      .calls.filter((c) => ['ACCEPT', 'DECLINE', 'REVIVE', 'SUPPRESS'].includes(c.type ?? ''))
      .map((c) => `${c.type} ${JSON.stringify(c.body).slice(0, 300)}`);
    assert.equal(
      new Set(web.map((t) => t.agentId)).size,
      3,
      `the three instances on three agents: ${web.map((t) => `${t.name}@${t.agentId}`).join(', ')}\n${offerCalls.join('\n')}`,
    );
    assert.equal(
      master()
        .tasks()
        .filter((t) => jobOf(t) === 'hello_world' && t.state === 'TASK_FINISHED').length,
      1,
    );
    const jobs = await status();
    const http = jobs.find((job) => job.job.endsWith('/hello_http'))!;
    assert.ok(
      http.instances.every((i) => i.state === 'RUNNING' && i.healthy === true),
      'health-checked RUNNING',
    );
    [frameworkId] = master().subscribedFrameworkIds() as [string];
    assert.ok(frameworkId);
  });

  it("plan reads the leading reconciler's view: the master's task list is not fetched", async () => {
    const before = tasksListings();
    const planned = await planNow();
    assert.deepEqual(planned.summary, { ...planned.summary, noop: 5 }, 'converged: nothing to do');
    assert.equal(tasksListings(), before, 'no GET_TASKS while the leader answers');
  });

  it('rolls an update through while an agent is lost under it; its instances are relaunched elsewhere', async () => {
    const before = liveIds();
    const file = 'jobs/web/hello_http.yaml';
    const commit = repo.commit('Greet again', {
      [file]: exampleFiles()[file]!.replace('hello from borealis', 'hello again'),
    });
    // Instance 0 has its new task RUNNING and is being watched (watch_secs 3) when its agent goes.
    await eventually(
      () =>
        live().some(
          (t) => !before.has(t.taskId) && t.name.endsWith('.hello_http.0') && t.state === 'TASK_RUNNING',
        ),
      30_000,
      'the first updated instance RUNNING',
      20,
    );
    const lostAgent = live().find((t) => !before.has(t.taskId) && t.name.endsWith('.hello_http.0'))!.agentId;
    const alsoThere = live().filter((t) => t.agentId === lostAgent).length;
    master().loseAgent(lostAgent);
    await reconciler.waitFor(new RegExp(`${commit.slice(0, 12)} "Greet again" .*: succeeded`), 90_000);
    assert.ok(reconciler.lines.some((line) => /hello_http\/0: INSTANCE_RELAUNCHED task lost/.test(line)));
    await waitConverged();
    const web = live().filter((t) => jobOf(t) === 'hello_http');
    assert.ok(
      web.every((t) => !before.has(t.taskId)),
      'every hello_http instance runs the new configuration',
    );
    assert.ok(
      live().every((t) => t.agentId !== lostAgent),
      `the ${alsoThere} task(s) of the lost agent run elsewhere`,
    );
  });

  it('survives a master failover: same framework id, explicit reconciliation, no task launched again', async () => {
    const running = liveIds();
    const from = master().calls.length;
    const failed = master();
    const next = await ensemble.failover();
    assert.notEqual(next, failed);
    await resubscribed(from, running.size);
    await waitConverged();
    assert.deepEqual(liveIds(), running);
    assert.equal(launchesSince(from), 0);
  });

  it('survives a dropped subscription the same way', async () => {
    const running = liveIds();
    const from = master().calls.length;
    master().dropStream();
    await resubscribed(from, running.size);
    await waitConverged();
    assert.deepEqual(liveIds(), running);
    assert.equal(launchesSince(from), 0);
  });

  it('a reconciler SIGKILLed and restarted within failover_timeout re-adopts every running task', async () => {
    const running = liveIds();
    const from = master().calls.length;
    reconciler.kill('SIGKILL');
    await reconciler.exited;
    await eventually(
      () => master().subscribedFrameworkIds().length === 0,
      10_000,
      'the framework disconnected',
    );
    assert.deepEqual(liveIds(), running, 'Mesos keeps the tasks while the scheduler is away');
    const listedBefore = tasksListings();
    assert.equal((await planNow()).summary.noop, 5, 'with no leader, plan reads the master');
    assert.ok(tasksListings() > listedBefore, 'GET_TASKS: the watch.json left behind names a dead process');
    reconciler = startReconciler();
    await resubscribed(from, running.size);
    await waitConverged();
    assert.deepEqual(liveIds(), running);
    assert.equal(launchesSince(from), 0);
    assert.deepEqual(master().frameworkIds(), [frameworkId]);
  });
});
