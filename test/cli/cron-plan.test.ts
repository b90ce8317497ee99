/**
 * Cron jobs through `borealis plan` and `reconcile` on the local cluster: a cron job is
 * scheduled (its record written, nothing launched), its runs (tasks with a `cronRun` label,
 * launched here through the cluster as the cron scheduler would) are no change to plan or
 * carry out, and a schedule changed, a service turned cron, and a job removed are planned as
 * reschedule, schedule with its instances killed, and deschedule.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { isTerminal, type TaskLaunch } from '../../src/cluster/types.js';
import { Records } from '../../src/state/records.js';
import { DeployEnv } from '../support/deploy-env.js';
import { jobObject, sleeperJob } from '../support/jobs.js';
import { spec } from '../support/specs.js';
import { UpdateRecorder } from '../support/waiting.js';

const BACKUP = 'local/www-data/prod/backup';
const WEB = 'local/www-data/prod/web';

/** A cron job whose run would take a while, so a run is still going when it matters. */
const cronJob = (name: string, schedule: string) =>
  jobObject({
    name,
    instances: 2,
    cron_schedule: schedule,
    task: {
      processes: [{ name: 'main', cmdline: 'exec sleep 1000', min_duration: 0 }],
      resources: { cpu: 0.1, ram: '16MiB', disk: '16MiB' },
      finalization_wait: 1,
    },
  });

describe('cron jobs through plan and reconcile on the local cluster', () => {
  let env: DeployEnv;
  const web = sleeperJob('web');
  const daily = cronJob('backup', '0 3 * * *');

  const plan = async (...args: string[]) => {
    const run = await env.cli('plan', '--detailed-exitcode', ...args);
    assert.notEqual(run.code, 1, run.stdout + run.stderr);
    return run;
  };
  const reconcile = async () => {
    const run = await env.cli('reconcile');
    assert.equal(run.code, 0, run.stdout + run.stderr);
    return run;
  };
  const recordOf = async (job: string) => new Records(await env.openStore()).job(job);

  before(() => {
    env = new DeployEnv();
    env.commitJobs('a service and a cron job', [web, daily]);
  });
  after(() => env.cleanup());

  it('plans a new cron job as schedule with its next runs, and applies it launching nothing', async () => {
    const planned = await plan();
    assert.equal(planned.code, 2);
    assert.match(
      planned.stdout,
      /^ {2}\+ local\/www-data\/prod\/backup: schedule "0 3 \* \* \*" UTC, next (\d{4}-\d\d-\d\d 03:00Z(, )?){3}$/m,
    );
    const json = JSON.parse((await env.cli('plan', '-o', 'json')).stdout) as {
      format_version: number;
      changes: { job: string; action: string; cron?: { next_runs: string[] } }[];
    };
    assert.equal(json.format_version, 3);
    const scheduled = json.changes.find((change) => change.job === BACKUP)!;
    assert.equal(scheduled.action, 'schedule');
    assert.equal(scheduled.cron?.next_runs.length, 3);
    const applied = await reconcile();
    assert.match(applied.stdout, /backup: SCHEDULED "0 3 \* \* \*" UTC/);
    assert.deepEqual(await env.liveTasks('backup'), [], 'nothing of the cron job runs');
    assert.equal((await env.tasks()).filter((task) => task.jobId === BACKUP).length, 0, 'nor ran');
    assert.equal(
      (await recordOf(BACKUP))?.config.cron_schedule,
      '0 3 * * *',
      'the record the scheduler reads',
    );
    assert.equal((await env.liveTasks('web')).length, 1);
    assert.equal((await plan()).code, 0, 'in sync once scheduled');
    const history = JSON.parse((await env.cli('history', '-o', 'json')).stdout) as {
      deployments: { jobs: { job: string; action: string; result: string; reason?: string }[] }[];
    };
    const recorded = history.deployments[0]!.jobs.find((job) => job.job === BACKUP);
    assert.deepEqual(
      [recorded?.action, recorded?.result, recorded?.reason],
      ['schedule', 'succeeded', undefined],
    );
  });

  it('a schedule change plans reschedule, and applying it restarts nothing', async () => {
    env.commitJobs('backup hourly', [web, cronJob('backup', '0 * * * *')]);
    const planned = await plan();
    assert.equal(planned.code, 2);
    assert.match(
      planned.stdout,
      /^ {2}~ local\/www-data\/prod\/backup: reschedule "0 \* \* \* \*" UTC, next /m,
    );
    assert.match(planned.stdout, /^ {6}cron_schedule: "0 3 \* \* \*" → "0 \* \* \* \*"$/m);
    const webBefore = (await env.liveTasks('web')).map((task) => task.taskId);
    await reconcile();
    assert.deepEqual(await env.liveTasks('backup'), []);
    assert.deepEqual(
      (await env.liveTasks('web')).map((task) => task.taskId),
      webBefore,
    );
    assert.equal((await recordOf(BACKUP))?.config.cron_schedule, '0 * * * *');
    assert.equal((await plan()).code, 0);
  });

  it('a service turned cron is scheduled and its instance killed', async () => {
    const webAsCron = cronJob('web', '30 2 * * *');
    env.commitJobs('web becomes cron', [webAsCron, cronJob('backup', '0 * * * *')]);
    const planned = await plan();
    assert.equal(planned.code, 2);
    assert.match(
      planned.stdout,
      /^ {2}\+ local\/www-data\/prod\/web: schedule "30 2 \* \* \*" UTC, next .*; kill 1 instance \[0\] that no run started$/m,
    );
    await reconcile();
    assert.deepEqual(await env.liveTasks('web'), [], 'the service is gone, and no run started');
    assert.equal((await recordOf(WEB))?.config.cron_schedule, '30 2 * * *');
    assert.equal((await plan()).code, 0);
  });

  it('runs of a cron job are the scheduler’s: plan stays in sync while they come and go', async () => {
    const run = await launchRun('backup', cronJob('backup', '0 * * * *'), 'schedule-20261208T0100Z');
    assert.deepEqual(
      (await env.liveTasks('backup')).map((task) => [task.instance, task.cronRun]),
      [
        [0, 'schedule-20261208T0100Z'],
        [1, 'schedule-20261208T0100Z'],
      ],
      'the local cluster keeps the run label',
    );
    assert.equal((await plan()).code, 0, 'a run going is no change');
    await reconcile();
    assert.deepEqual(
      (await env.liveTasks('backup')).map((task) => task.taskId),
      run,
      'reconcile leaves the run alone',
    );
    await env.killByHand(run[0]!);
    await waitUntilEnded(run[0]!);
    assert.equal((await plan()).code, 0, 'an instance of a run that ended is not lost: no heal');
  });

  it('removing a cron job plans deschedule, and its run in progress finishes on its own', async () => {
    env.commitJobs('backup removed', [cronJob('web', '30 2 * * *')]);
    const planned = await plan();
    assert.equal(planned.code, 2);
    assert.match(
      planned.stdout,
      /^ {2}- local\/www-data\/prod\/backup: deschedule "0 \* \* \* \*" UTC: no more runs; a run in progress finishes$/m,
    );
    const going = (await env.liveTasks('backup')).map((task) => task.taskId);
    await reconcile();
    assert.equal(await recordOf(BACKUP), null, 'the scheduler has nothing left to run');
    assert.deepEqual(
      (await env.liveTasks('backup')).map((task) => task.taskId),
      going,
      'the run goes on',
    );
    assert.equal((await plan()).code, 0, 'a run finishing after its job is gone is no orphan');
  });

  /** Starts a run of every instance of `job` as the cron scheduler does, and waits until it runs. */
  async function launchRun(name: string, job: Record<string, unknown>, runId: string): Promise<string[]> {
    const normalised = spec({ ...job, name });
    assert.equal(normalised.id, `local/www-data/prod/${name}`);
    const launches: TaskLaunch[] = Array.from({ length: normalised.config.instances }, (_, instance) => ({
      taskId: `${name}-${runId}-${instance}`,
      jobId: normalised.id,
      key: normalised.key,
      instance,
      configHash: normalised.configHash,
      commit: 'cron',
      config: normalised.instance,
      cronRun: runId,
    }));
    const cluster = env.openCluster();
    const recorder = new UpdateRecorder(cluster);
    try {
      await cluster.launch(launches);
      for (const launch of launches) await recorder.waitFor(launch.taskId, 'RUNNING', 30_000);
    } finally {
      recorder.stop();
      await cluster.close();
    }
    return launches.map((launch) => launch.taskId);
  }

  async function waitUntilEnded(taskId: string): Promise<void> {
    const cluster = env.openCluster();
    const recorder = new UpdateRecorder(cluster);
    try {
      const now = (await cluster.snapshot()).find((task) => task.taskId === taskId);
      if (now && isTerminal(now.state)) return;
      await recorder.waitForUpdate(
        (update) => update.task.taskId === taskId && isTerminal(update.task.state),
        30_000,
        `the end of ${taskId}`,
      );
    } finally {
      recorder.stop();
      await cluster.close();
    }
  }
});
