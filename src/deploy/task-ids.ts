import { randomUUID } from 'node:crypto';
import type { JobKey } from '../jobspec/types.js';

/** `<role>-<environment>-<name>-<instance>-<uuid>`, as Aurora named its Mesos tasks. */
export function newTaskId(key: JobKey, instance: number): string {
  return `${key.role}-${key.environment}-${key.name}-${instance}-${randomUUID()}`;
}
