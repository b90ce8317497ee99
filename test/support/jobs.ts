/** Builders for job files and repositories used across tests. */
import { stringify } from 'yaml';

export const LOCAL_CLUSTERS = 'clusters:\n  - name: local\n    type: local\n';

export interface JobFields {
  name: string;
  [field: string]: unknown;
}

/** A minimal valid job as a plain object; override any field. */
export function jobObject(fields: JobFields): Record<string, unknown> {
  return {
    cluster: 'local',
    role: 'www-data',
    environment: 'prod',
    task: {
      processes: [{ name: 'main', cmdline: 'sleep 1000' }],
      resources: { cpu: 0.1, ram: '16MiB', disk: '16MiB' },
    },
    ...fields,
  };
}

export function jobYaml(fields: JobFields): string {
  return stringify(jobObject(fields));
}

/**
 * A one-instance service whose process sleeps: quick to start and stop, never exits on
 * its own, no health check, no watch period. `fields` override any job field.
 */
export function sleeperJob(
  name: string,
  fields: Record<string, unknown> = {},
  cmdline = 'exec sleep 1000',
): Record<string, unknown> {
  return jobObject({
    name,
    service: true,
    update_config: { watch_secs: 0 },
    task: {
      processes: [{ name: 'main', cmdline, min_duration: 0 }],
      resources: { cpu: 0.1, ram: '16MiB', disk: '16MiB' },
      finalization_wait: 1,
    },
    ...fields,
  });
}
