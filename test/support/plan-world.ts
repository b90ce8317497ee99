/** A small world for walks and properties over the planner: a few jobs, each in three configurations. */
import type { ObservedTask } from '../../src/cluster/types.js';
import type { JobSpec } from '../../src/jobspec/types.js';
import type { PlanInput } from '../../src/plan/planner.js';
import type { RecordedJob } from '../../src/plan/types.js';
import { spec } from './specs.js';

/** Everything a plan reads besides the commit and cluster names. */
export interface PlanWorld {
  desired: JobSpec[];
  recorded: RecordedJob[];
  observed: ObservedTask[];
  prune: boolean;
  retryHeld: boolean;
  now: number;
}

export function inputOf(world: PlanWorld): PlanInput {
  return { commit: 'c', cluster: 'local', ...world };
}

/**
 * Each job in three configurations, of one to three instances; `batch` names the one batch
 * job, `cron` the one that is a service in its first configuration and a cron job in the
 * other two (every minute, and every other minute).
 */
export function jobVariants<Name extends string>(
  names: readonly Name[],
  batch: Name,
  cron?: Name,
): Map<Name, JobSpec[]> {
  return new Map(names.map((name) => [name, variants(name, name === batch, name === cron)]));
}

const CRON_VARIANTS: (string | undefined)[] = [undefined, '* * * * *', '*/2 * * * *'];

function variants(name: string, batch: boolean, cron: boolean): JobSpec[] {
  return [1, 2, 3].map((instances) => {
    const schedule = cron ? CRON_VARIANTS[instances - 1] : undefined;
    const service = !batch && schedule === undefined;
    return spec({
      name,
      service,
      max_task_failures: service ? 1 : 2,
      ...(schedule !== undefined && { cron_schedule: schedule }),
      instances,
      task: {
        processes: [{ name: 'main', cmdline: `sleep ${1000 + instances}` }],
        resources: { cpu: 0.1, ram: '16MiB', disk: '16MiB' },
      },
    });
  });
}
