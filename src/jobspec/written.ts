/**
 * A job as written, after schema validation filled the defaults: the shape is guaranteed,
 * but sizes are still strings and derived defaults (task name, health checker) are not set.
 */
import type { HealthCheckConfig, JobConfig, Resources, TaskConfig } from './types.js';

export interface WrittenResources extends Omit<Resources, 'ram' | 'disk'> {
  ram: string;
  disk: string;
}

export interface WrittenTask extends Omit<TaskConfig, 'name' | 'resources'> {
  name?: string;
  resources: WrittenResources;
}

export interface WrittenJob extends Omit<JobConfig, 'task'> {
  task: WrittenTask;
  health_check_config?: HealthCheckConfig;
}
