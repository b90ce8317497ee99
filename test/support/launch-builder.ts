/**
 * Builds `TaskLaunch` objects with a complete, normalised `InstanceConfig` (every default
 * filled), tuned for fast tests: tiny resources, `min_duration: 0`, `finalization_wait: 2`.
 */
import { randomUUID } from 'node:crypto';
import type { TaskLaunch } from '../../src/cluster/types.js';
import type {
  AnnounceConfig,
  HealthCheckConfig,
  InstanceConfig,
  OrderConstraint,
  ProcessConfig,
  Resources,
  TaskConfig,
} from '../../src/jobspec/types.js';

export function processConfig(
  name: string,
  cmdline: string,
  overrides: Partial<ProcessConfig> = {},
): ProcessConfig {
  return {
    name,
    cmdline,
    max_failures: 1,
    daemon: false,
    ephemeral: false,
    min_duration: 0,
    final: false,
    ...overrides,
  };
}

export function healthCheckConfig(overrides: Partial<HealthCheckConfig> = {}): HealthCheckConfig {
  return {
    initial_interval_secs: 1,
    interval_secs: 1,
    timeout_secs: 1,
    max_consecutive_failures: 0,
    min_consecutive_successes: 1,
    ...overrides,
  };
}

export interface LaunchOptions {
  name?: string;
  instance?: number;
  processes?: ProcessConfig[];
  constraints?: OrderConstraint[];
  resources?: Partial<Resources>;
  task?: Partial<Omit<TaskConfig, 'processes' | 'constraints' | 'resources'>>;
  env?: Record<string, string>;
  health?: HealthCheckConfig;
  announce?: AnnounceConfig;
}

export function instanceConfig(options: LaunchOptions = {}): InstanceConfig {
  const processes = options.processes ?? [processConfig('main', 'true')];
  const config: InstanceConfig = {
    task: {
      name: options.name ?? processes[0]?.name ?? 'task',
      processes,
      constraints: options.constraints ?? [],
      resources: { cpu: 0.1, ram: 16, disk: 16, gpu: 0, ports: [], ...options.resources },
      max_failures: 1,
      max_concurrency: 0,
      finalization_wait: 2,
      ...options.task,
    },
    env: options.env ?? {},
    constraints: {},
    metadata: {},
    priority: 0,
    production: false,
  };
  if (options.health !== undefined) config.health_check_config = options.health;
  if (options.announce !== undefined) config.announce = options.announce;
  return config;
}

/** Task ids follow `<role>-<environment>-<name>-<instance>-<uuid>`. */
export function buildLaunch(options: LaunchOptions = {}): TaskLaunch {
  const name = options.name ?? 'job';
  const instance = options.instance ?? 0;
  const key = { cluster: 'local', role: 'test', environment: 'devel', name };
  return {
    taskId: `${key.role}-${key.environment}-${name}-${instance}-${randomUUID()}`,
    jobId: `${key.cluster}/${key.role}/${key.environment}/${name}`,
    key,
    instance,
    configHash: 'hash-under-test',
    commit: 'commit-under-test',
    config: instanceConfig(options),
  };
}
