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

/** Each job in three configurations, of one to three instances; `batch` names the one batch job. */
export function jobVariants<Name extends string>(names: readonly Name[], batch: Name): Map<Name, JobSpec[]> {
  return new Map(names.map((name) => [name, variants(name, name === batch)]));
}

function variants(name: string, batch: boolean): JobSpec[] {
  const fields = { name, service: !batch, max_task_failures: batch ? 2 : 1 };
  return [1, 2, 3].map((instances) =>
    spec({
      ...fields,
      instances,
      task: {
        processes: [{ name: 'main', cmdline: `sleep ${1000 + instances}` }],
        resources: { cpu: 0.1, ram: '16MiB', disk: '16MiB' },
      },
    }),
  );
}
