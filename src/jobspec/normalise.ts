/** Written job → normalised `JobSpec`: sizes in MiB, derived defaults set, config hashed. */
import { configHash } from './hash.js';
import { sizeToMiB } from './sizes.js';
import type { HealthCheckConfig, InstanceConfig, JobConfig, JobKey, JobSpec } from './types.js';
import type { WrittenJob } from './written.js';

const DEFAULT_HTTP_CHECKER = { endpoint: '/health', expected_response: 'ok', expected_response_code: 0 };

export function jobId(key: JobKey): string {
  return `${key.cluster}/${key.role}/${key.environment}/${key.name}`;
}

export function normaliseJob(written: WrittenJob, file: string): JobSpec {
  const config: JobConfig = {
    ...written,
    task: {
      ...written.task,
      name: written.task.name ?? written.name,
      resources: {
        ...written.task.resources,
        ram: sizeToMiB(written.task.resources.ram)!,
        disk: sizeToMiB(written.task.resources.disk)!,
      },
    },
    health_check_config: normaliseHealthCheck(written.health_check_config),
    announce: written.announce && {
      primary_port: written.announce.primary_port,
      portmap: { aurora: written.announce.primary_port, ...written.announce.portmap },
    },
  };
  if (!config.health_check_config) delete config.health_check_config;
  if (!config.announce) delete config.announce;
  const key: JobKey = {
    cluster: config.cluster,
    role: config.role,
    environment: config.environment,
    name: config.name,
  };
  const instance = instanceConfig(config);
  return { id: jobId(key), key, file, config, instance, configHash: configHash(instance) };
}

function normaliseHealthCheck(health: HealthCheckConfig | undefined): HealthCheckConfig | undefined {
  if (!health) return undefined;
  if (health.shell) return health;
  return { ...health, http: health.http ?? { ...DEFAULT_HTTP_CHECKER } };
}

/** The part of a job that shapes each running instance; see `InstanceConfig`. */
export function instanceConfig(config: JobConfig): InstanceConfig {
  const instance: InstanceConfig = {
    task: config.task,
    env: config.env,
    constraints: config.constraints,
    metadata: config.metadata,
    priority: config.priority,
    production: config.production,
  };
  if (config.container) instance.container = config.container;
  if (config.health_check_config) instance.health_check_config = config.health_check_config;
  if (config.announce) instance.announce = config.announce;
  if (config.tier !== undefined) instance.tier = config.tier;
  return instance;
}
