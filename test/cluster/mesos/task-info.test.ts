import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LABELS, SUPERVISOR_COMMAND, taskInfo } from '../../../src/cluster/mesos/task-info.js';
import type { TaskLaunch } from '../../../src/cluster/types.js';
import { spec } from '../../support/specs.js';

function launchOf(fields: Parameters<typeof spec>[0]): TaskLaunch {
  const job = spec(fields);
  return {
    taskId: `www-data-prod-${job.key.name}-0-uuid`,
    jobId: job.id,
    key: job.key,
    instance: 0,
    configHash: job.configHash,
    commit: 'abc',
    config: job.instance,
  };
}

const assignment = {
  agentId: 'agent-1',
  hostname: 'host-a',
  resources: [{ name: 'cpus', type: 'SCALAR' as const, scalar: { value: 0.1 } }],
  ports: { http: 31000 },
};

describe('taskInfo', () => {
  it('runs a single process directly, with labels, kill policy, discovery and a Mesos HTTP health check', () => {
    const launch = launchOf({
      name: 'web',
      env: { GREETING: 'hi' },
      health_check_config: { interval_secs: 2, initial_interval_secs: 5, max_consecutive_failures: 1 },
      task: {
        processes: [
          {
            name: 'serve',
            cmdline:
              'serve --port {{thermos.ports[http]}} --host {{mesos.hostname}} --shard {{mesos.instance}}',
          },
        ],
        resources: { cpu: 0.1, ram: '16MiB', disk: '16MiB', ports: ['http'] },
        finalization_wait: 10,
      },
    });
    const info = taskInfo(launch, assignment);
    assert.deepEqual(info.task_id, { value: launch.taskId });
    assert.deepEqual(info.agent_id, { value: 'agent-1' });
    assert.equal(info.resources, assignment.resources);
    assert.deepEqual(info.command, {
      shell: true,
      value: 'serve --port 31000 --host host-a --shard 0',
      environment: {
        variables: [
          { name: 'GREETING', value: 'hi' },
          { name: 'PORT_HTTP', value: '31000' },
        ],
      },
    });
    assert.deepEqual((info.labels as { labels: { key: string; value: string }[] }).labels, [
      { key: LABELS.job, value: 'local/www-data/prod/web' },
      { key: LABELS.instance, value: '0' },
      { key: LABELS.config, value: launch.configHash },
      { key: LABELS.commit, value: 'abc' },
    ]);
    assert.deepEqual(info.kill_policy, { grace_period: { nanoseconds: 10e9 } });
    assert.deepEqual((info.discovery as { ports: unknown }).ports, {
      ports: [{ number: 31000, name: 'http', protocol: 'tcp' }],
    });
    assert.deepEqual(info.health_check, {
      type: 'HTTP',
      http: { port: 31000, path: '/health' },
      delay_seconds: 0,
      interval_seconds: 2,
      timeout_seconds: 1,
      consecutive_failures: 2,
      grace_period_seconds: 5,
    });
    assert.equal(info.container, undefined);
  });

  it('labels a cron run’s task with its run, and only such a task', () => {
    const labelsOf = (launch: TaskLaunch) =>
      (taskInfo(launch, assignment).labels as { labels: { key: string; value: string }[] }).labels;
    const launch = launchOf({ name: 'backup' });
    const run = labelsOf({ ...launch, cronRun: 'manual-20261208T0102Z-1' });
    assert.deepEqual(run.at(-1), { key: LABELS.cronRun, value: 'manual-20261208T0102Z-1' });
    assert.equal(
      labelsOf(launch).some((label) => label.key === LABELS.cronRun),
      false,
    );
  });

  it('runs several processes under the supervisor and maps a Docker container', () => {
    const launch = launchOf({
      name: 'multi',
      container: { docker: { image: 'nginx:1', parameters: [{ name: 'env', value: 'X=1' }] } },
      task: {
        processes: [
          { name: 'a', cmdline: 'a' },
          { name: 'b', cmdline: 'b' },
        ],
        resources: { cpu: 0.1, ram: '16MiB', disk: '16MiB' },
      },
    });
    const info = taskInfo(launch, { ...assignment, ports: {} });
    const command = info.command as { value: string; arguments: string[]; shell: boolean };
    assert.equal(command.shell, false);
    assert.equal(command.value, SUPERVISOR_COMMAND);
    const spec = JSON.parse(command.arguments[2]!) as { config: { task: { processes: { name: string }[] } } };
    assert.deepEqual(
      spec.config.task.processes.map((p) => p.name),
      ['a', 'b'],
    );
    assert.deepEqual(info.container, {
      type: 'DOCKER',
      docker: { image: 'nginx:1', network: 'HOST', parameters: [{ key: 'env', value: 'X=1' }] },
    });
    assert.equal(info.health_check, undefined);
  });

  it('passes the whole launch to the supervisor and asks it for health with a COMMAND check', () => {
    const launch = launchOf({
      name: 'site',
      health_check_config: {
        shell: { shell_command: 'test -f ready' },
        interval_secs: 2,
        initial_interval_secs: 6,
      },
      task: {
        processes: [
          { name: 'setup', cmdline: 'touch ready' },
          { name: 'serve', cmdline: 'exec sleep 60' },
        ],
        resources: { cpu: 0.1, ram: '16MiB', disk: '16MiB' },
      },
    });
    const info = taskInfo(launch, { ...assignment, ports: {} });
    const spec = JSON.parse((info.command as { arguments: string[] }).arguments[2]!) as Record<
      string,
      unknown
    >;
    assert.deepEqual(
      [spec.taskId, spec.jobId, spec.configHash, spec.commit],
      [launch.taskId, launch.jobId, launch.configHash, launch.commit],
    );
    assert.deepEqual(info.health_check, {
      type: 'COMMAND',
      command: { shell: false, value: SUPERVISOR_COMMAND, arguments: [SUPERVISOR_COMMAND, '--healthy'] },
      delay_seconds: 0,
      interval_seconds: 2,
      timeout_seconds: 1,
      consecutive_failures: 1,
      grace_period_seconds: 6,
    });
  });
});
