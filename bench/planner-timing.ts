/**
 * Times the planner on a synthetic converged cluster of 10,000 jobs (ten instances each on
 * average, all applied and running): a pure plan, and the daemon's incremental re-plan
 * after one job's spec changed. Not part of `npm run bench`: a quick check of the planner
 * alone, `node dist/bench/planner-timing.js [jobs] [rounds]`.
 */
import { performance } from 'node:perf_hooks';
import type { ObservedTask } from '../src/cluster/types.js';
import { IncrementalPlanner } from '../src/plan/incremental.js';
import { plan, type PlanInput } from '../src/plan/planner.js';
import type { JobSpec } from '../src/jobspec/types.js';
import { recorded, running, spec } from '../test/support/specs.js';

const jobs = Number(process.argv[2] ?? 10_000);
const rounds = Number(process.argv[3] ?? 15);

function job(j: number, variant: number): JobSpec {
  return spec({
    name: `job-${j}`,
    role: `team-${j % 100}`,
    service: true,
    instances: 5 + (j % 11),
    task: {
      processes: [{ name: 'main', cmdline: `serve --port 80 --variant ${variant}` }],
      resources: { cpu: 0.1, ram: '16MiB', disk: '16MiB' },
    },
  });
}

const desired = Array.from({ length: jobs }, (_, j) => job(j, 0));
const observed: ObservedTask[] = desired.flatMap((spec) => running(spec));
const input: PlanInput = {
  commit: 'c0',
  cluster: 'local',
  desired,
  observed,
  recorded: desired.map((spec) => recorded(spec)),
  now: 1_000_000,
};

function median(samples: number[]): number {
  return [...samples].sort((a, b) => a - b)[Math.floor(samples.length / 2)]!;
}

function timed(run: () => unknown): number {
  const start = performance.now();
  run();
  return performance.now() - start;
}

const pure = Array.from({ length: Math.min(rounds, 7) }, () =>
  timed(() => plan({ ...input, observed: [...observed] })),
);

// The daemon's path: one planner kept across passes; each pass a fresh snapshot array of
// the same task objects, and a commit that changed one job's file.
const incremental = new IncrementalPlanner().plan;
incremental(input);
let current = desired;
const replanned = (snapshot: () => readonly ObservedTask[], offset: number) =>
  Array.from({ length: rounds }, (_, round) => {
    const changed = ((round + offset) * 7919) % jobs;
    current = current.map((spec, at) => (at === changed ? job(changed, round + offset + 1) : spec));
    return timed(() => incremental({ ...input, desired: current, observed: snapshot() }));
  });
const replans = replanned(() => [...observed], 0);
const sameSnapshot = replanned(() => observed, rounds);

const ms = (value: number) => `${value.toFixed(1)} ms`;
const report = (name: string, samples: number[]) =>
  console.log(
    `${name}: median ${ms(median(samples))}, min ${ms(Math.min(...samples))} (${samples.length} runs)`,
  );
console.log(`${jobs} jobs, ${observed.length} tasks`);
report('pure plan', pure);
report('incremental re-plan, one job changed, new snapshot array', replans);
report('incremental re-plan, one job changed, same snapshot array', sameSnapshot);
