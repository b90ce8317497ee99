/**
 * Exactly once per tick across failover: two real `watch` processes on one real ZooKeeper
 * and one local cluster. The leader is SIGKILLed the moment it has recorded a tick's run and
 * before it launched anything (BOREALIS_FAILPOINT=cron-recorded); the other takes over,
 * launches that run's tasks, and never starts the tick again. Every process a run starts
 * appends its task id to a file, so a double start cannot hide.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { LocalCluster } from '../../src/cluster/local/cluster.js';
import { isTerminal } from '../../src/cluster/types.js';
import { CLOCK_OFFSET_ENV } from '../../src/cron/clock.js';
import { CronRecords } from '../../src/cron/records.js';
import type { CronJobState } from '../../src/cron/types.js';
import { FAILPOINT_ENV } from '../../src/reconciler/failpoint.js';
import { ZooKeeperStateStore } from '../../src/state/zookeeper/zookeeper-store.js';
import { ZkSession } from '../../src/zookeeper/session.js';
import { TempGitRepo } from '../support/git-repo.js';
import { jobObject } from '../support/jobs.js';
import { logsOf, ReconcilerProcess } from '../support/reconciler-process.js';
import { eventually } from '../support/waiting.js';
import { startZooKeeper, type ZooKeeperServer } from '../support/zookeeper.js';

const SESSION_MS = 4_000;
const JOB = 'local/ops/prod/tick';

/** The offset that puts the reconcilers' cron clock a few seconds before a minute boundary. */
function offsetToNextMinute(leadMs: number): number {
  const now = Date.now();
  const boundary = Math.ceil((now + leadMs) / 60_000) * 60_000;
  return boundary - leadMs - now;
}

describe('cron across a leader failover (ZooKeeper)', () => {
  let zk: ZooKeeperServer;
  let repo: TempGitRepo;
  let sandboxes: string;
  let starts: string;
  let reader: ZkSession;
  const reconcilers: ReconcilerProcess[] = [];

  before(async () => {
    zk = await startZooKeeper({ tickTimeMs: 500 });
    repo = new TempGitRepo('borealis-cron-ha-');
    sandboxes = mkdtempSync(join(tmpdir(), 'borealis-cron-ha-sandboxes-'));
    starts = join(mkdtempSync(join(tmpdir(), 'borealis-cron-ha-starts-')), 'starts.txt');
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
    await zk.stop();
    repo.remove();
    rmSync(sandboxes, { recursive: true, force: true });
  });

  const cronState = async (): Promise<CronJobState | undefined> => {
    const store = await ZooKeeperStateStore.open({ session: reader, chroot: '/borealis/state' });
    return (await new CronRecords(store).get(JOB))?.state;
  };
  const startedTasks = (): string[] => {
    try {
      return readFileSync(starts, 'utf8').split('\n').filter(Boolean);
    } catch {
      return [];
    }
  };

  it('the leader dies just after recording a tick: the tick runs exactly once', async () => {
    repo.commit('a cron job', {
      'clusters.yaml': stringify({ clusters: [{ name: 'local', type: 'local', sandbox_root: sandboxes }] }),
      'jobs/tick.yaml': stringify(
        jobObject({
          name: 'tick',
          role: 'ops',
          instances: 2,
          cron_schedule: '* * * * *',
          cron_collision_policy: 'CANCEL_NEW',
          task: {
            processes: [{ name: 'main', cmdline: `echo "$BOREALIS_TASK_ID" >> ${starts}; exec sleep 1000` }],
            resources: { cpu: 0.1, ram: '16MiB', disk: '16MiB' },
            finalization_wait: 1,
          },
        }),
      ),
    });
    const env = {
      BOREALIS_ZK_SESSION_TIMEOUT_MS: String(SESSION_MS),
      [CLOCK_OFFSET_ENV]: String(offsetToNextMinute(10_000)),
    };
    const state = `zk://${zk.connect}/borealis`;
    const doomed = new ReconcilerProcess('doomed', {
      repo: repo.dir,
      state,
      env: { ...env, [FAILPOINT_ENV]: `cron-recorded:kill:${JOB}` },
    });
    reconcilers.push(doomed);
    await doomed.waitFor(/elected leader/, 20_000);
    const heir = new ReconcilerProcess('heir', { repo: repo.dir, state, env });
    reconcilers.push(heir);
    await heir.waitFor(/not the leader/, 20_000);

    // The doomed leader schedules the job, records the first tick and dies at once.
    await doomed.exited;
    const recorded = await cronState();
    assert.equal(recorded?.runs.length, 1, logsOf(reconcilers));
    const [run] = recorded.runs;
    assert.equal(run!.outcome, 'running');
    assert.deepEqual(startedTasks(), [], 'the doomed leader launched nothing');

    await heir.waitFor(/elected leader/, 30_000);
    const runTasks = run!.instances.map((instance) => instance.taskId).sort();
    await eventually(
      () => startedTasks().length >= 2,
      30_000,
      () => `both instances to start\n${logsOf(reconcilers)}`,
      100,
    );
    const after = await cronState();
    const ofTick = after!.runs.filter((entry) => entry.scheduledAt === run!.scheduledAt);
    assert.deepEqual(
      ofTick.map((entry) => entry.id),
      [run!.id],
      'no second run of the tick',
    );
    assert.deepEqual(
      startedTasks().sort(),
      runTasks,
      'each task of the run started once, under its saved id',
    );
    assert.ok(
      !heir.lines.some((line) => line.includes(`run ${run!.id} started`)),
      'the heir did not start the tick again',
    );
  });
});
