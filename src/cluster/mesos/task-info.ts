/**
 * A Borealis task launch as a Mesos v1 `TaskInfo`: the labels the planner rebuilds
 * ObservedTask from, the exact resources placement claimed, the command (a single process
 * runs its command line directly, with a Mesos-native health check; several processes run
 * `borealis-task-supervisor`, which must be installed on the agents, and its health is
 * asked of it), the container, a kill policy from finalization_wait and discovery info
 * with the named ports.
 */
import { renderTemplate } from '../../jobspec/templating.js';
import type { HealthCheckConfig, InstanceConfig } from '../../jobspec/types.js';
import type { TaskLaunch } from '../types.js';
import { portEnvName } from '../local/task-env.js';
import type { AgentTaskSpec } from './agent-supervisor.js';
import type { MesosResource } from './offer.js';

export const LABELS = {
  job: 'borealis.job',
  instance: 'borealis.instance',
  config: 'borealis.config',
  commit: 'borealis.commit',
  /** Only on a cron run's tasks: the run id. */
  cronRun: 'borealis.cron_run',
} as const;

/** Where placement put the task. */
export interface Assignment {
  agentId: string;
  hostname: string;
  resources: MesosResource[];
  ports: Record<string, number>;
}

/** The command agents run for multi-process tasks (the local cluster's supervisor, packaged). */
export const SUPERVISOR_COMMAND = 'borealis-task-supervisor';

export function taskInfo(launch: TaskLaunch, assignment: Assignment): Record<string, unknown> {
  const { config } = launch;
  const bindings = {
    instance: launch.instance,
    hostname: assignment.hostname,
    taskId: launch.taskId,
    ports: assignment.ports,
  };
  const info: Record<string, unknown> = {
    name: `${launch.key.role}.${launch.key.environment}.${launch.key.name}.${launch.instance}`,
    task_id: { value: launch.taskId },
    agent_id: { value: assignment.agentId },
    resources: assignment.resources,
    command: command(config, bindings, launch),
    labels: { labels: labels(launch) },
    kill_policy: { grace_period: { nanoseconds: config.task.finalization_wait * 1e9 } },
    discovery: discovery(launch, assignment.ports),
  };
  const container = containerInfo(config);
  if (container) info.container = container;
  const health = healthCheck(config, assignment.ports);
  if (health) info.health_check = health;
  return info;
}

function singleProcess(config: InstanceConfig): boolean {
  return config.task.processes.length === 1;
}

function command(
  config: InstanceConfig,
  bindings: Parameters<typeof renderTemplate>[1],
  launch: TaskLaunch,
): Record<string, unknown> {
  const variables = [
    ...Object.entries(config.env).map(([name, value]) => ({ name, value })),
    ...Object.entries(bindings.ports).map(([name, port]) => ({
      name: portEnvName(name),
      value: String(port),
    })),
  ];
  const environment = { variables };
  if (singleProcess(config)) {
    return { shell: true, value: renderTemplate(config.task.processes[0]!.cmdline, bindings), environment };
  }
  // The supervisor reads the whole task (processes, ordering, health checks) from its argument.
  const spec = JSON.stringify({ ...launch, ports: bindings.ports } satisfies AgentTaskSpec);
  return {
    shell: false,
    value: SUPERVISOR_COMMAND,
    arguments: [SUPERVISOR_COMMAND, '--task', spec],
    environment,
  };
}

function labels(launch: TaskLaunch): { key: string; value: string }[] {
  const labels: { key: string; value: string }[] = [
    { key: LABELS.job, value: launch.jobId },
    { key: LABELS.instance, value: String(launch.instance) },
    { key: LABELS.config, value: launch.configHash },
    { key: LABELS.commit, value: launch.commit },
  ];
  if (launch.cronRun !== undefined) labels.push({ key: LABELS.cronRun, value: launch.cronRun });
  return labels;
}

function discovery(launch: TaskLaunch, ports: Record<string, number>): Record<string, unknown> {
  return {
    visibility: 'FRAMEWORK',
    name: `${launch.key.name}.${launch.key.environment}.${launch.key.role}`,
    environment: launch.key.environment,
    ports: { ports: Object.entries(ports).map(([name, number]) => ({ number, name, protocol: 'tcp' })) },
  };
}

function containerInfo(config: InstanceConfig): Record<string, unknown> | undefined {
  if (config.container?.docker) {
    const { image, parameters } = config.container.docker;
    return {
      type: 'DOCKER',
      docker: {
        image,
        network: 'HOST',
        parameters: parameters.map(({ name, value }) => ({ key: name, value })),
      },
    };
  }
  if (config.container?.mesos) {
    return {
      type: 'MESOS',
      mesos: { image: { type: 'DOCKER', docker: { name: config.container.mesos.image } } },
    };
  }
  return undefined;
}

/**
 * Aurora's health-check semantics in Mesos's own terms. A single process gets Mesos's HTTP
 * check on the health or http port (it judges the status code only; a job that needs
 * `expected_response` compared uses a shell check or several processes) or a shell
 * command. Under the supervisor, which runs Aurora's checks itself, Mesos's COMMAND check
 * only asks it for its verdict, so Mesos reports the task healthy when the supervisor says so.
 */
function healthCheck(
  instance: InstanceConfig,
  ports: Record<string, number>,
): Record<string, unknown> | undefined {
  const config = instance.health_check_config;
  if (!config) return undefined;
  if (!singleProcess(instance)) {
    const ask = { shell: false, value: SUPERVISOR_COMMAND, arguments: [SUPERVISOR_COMMAND, '--healthy'] };
    return { type: 'COMMAND', command: ask, ...healthTiming(config) };
  }
  return nativeHealthCheck(config, ports);
}

function healthTiming(config: HealthCheckConfig): Record<string, number> {
  return {
    delay_seconds: 0,
    interval_seconds: config.interval_secs,
    timeout_seconds: config.timeout_secs,
    // Aurora fails after max_consecutive_failures are exceeded; Mesos when it reaches consecutive_failures.
    consecutive_failures: config.max_consecutive_failures + 1,
    grace_period_seconds: config.initial_interval_secs,
  };
}

function nativeHealthCheck(
  config: HealthCheckConfig,
  ports: Record<string, number>,
): Record<string, unknown> | undefined {
  const timing = healthTiming(config);
  if (config.shell)
    return { type: 'COMMAND', command: { shell: true, value: config.shell.shell_command }, ...timing };
  const port = ports.health ?? ports.http;
  if (port === undefined || !config.http) return undefined;
  const statuses = config.http.expected_response_code ? [config.http.expected_response_code] : undefined;
  return {
    type: 'HTTP',
    http: { port, path: config.http.endpoint, ...(statuses ? { statuses } : {}) },
    ...timing,
  };
}
