/**
 * What the planner decided for each job, kept across plans while the job's inputs are the
 * very same objects: its spec (the spec cache hands out one object per unchanged file), its
 * record (records are re-read only when one changes) and its tasks (grouped here so that a
 * job whose tasks did not change keeps its array). A one-job commit in a repository of
 * 10,000 jobs then plans one job, not 10,000. Only decisions that read nothing else are
 * kept: none that depends on the time (a relaunch or its back-off) or warns.
 */
import type { ObservedTask } from '../cluster/types.js';
import type { JobId, JobSpec } from '../spec/types.js';
import { groupBy } from '../util/group-by.js';
import type { JobChange, RecordedJob } from './types.js';

/** The inputs of one job's decision besides its spec, compared by identity. */
export interface JobInputs {
  record: RecordedJob | undefined;
  tasks: readonly ObservedTask[];
  retryHeld: boolean;
  prune: boolean;
}

const NO_TASKS: readonly ObservedTask[] = Object.freeze([]);

export class PlanMemo {
  private grouped:
    { observed: readonly ObservedTask[]; byJob: Map<JobId, readonly ObservedTask[]> } | undefined;
  private readonly decided = new WeakMap<JobSpec, JobInputs & { change: JobChange }>();
  private ids: { sorted: readonly JobId[]; known: ReadonlySet<JobId> } | undefined;

  /** The sorted union of the maps' job ids; the last one again while the union is the same. */
  jobIds(maps: readonly ReadonlyMap<JobId, unknown>[]): readonly JobId[] {
    const last = this.ids;
    if (last && sameUnion(last, maps)) return last.sorted;
    const sorted = jobIds(maps);
    this.ids = { sorted, known: new Set(sorted) };
    return sorted;
  }

  /** The tasks of each job; a job whose tasks are the same objects as in the last call keeps its array. */
  group(observed: readonly ObservedTask[]): Map<JobId, readonly ObservedTask[]> {
    if (this.grouped?.observed === observed) return this.grouped.byJob;
    const byJob = groupByJob(observed);
    const previous = this.grouped?.byJob;
    if (previous) {
      for (const [job, tasks] of byJob) {
        const before = previous.get(job);
        if (before && sameItems(before, tasks)) byJob.set(job, before);
      }
    }
    this.grouped = { observed, byJob };
    return byJob;
  }

  /** The change decided before from the same inputs, if any. */
  recall(job: JobSpec, inputs: JobInputs): JobChange | undefined {
    const kept = this.decided.get(job);
    if (!kept) return undefined;
    const same =
      kept.record === inputs.record &&
      kept.tasks === inputs.tasks &&
      kept.retryHeld === inputs.retryHeld &&
      kept.prune === inputs.prune;
    return same ? kept.change : undefined;
  }

  /** Keeps a change for the next plan; frozen, since every later plan shares it. */
  keep(job: JobSpec, inputs: JobInputs, change: JobChange): void {
    for (const list of Object.values(change.instances)) Object.freeze(list);
    Object.freeze(change.instances);
    Object.freeze(change.killTasks);
    Object.freeze(change.deferred);
    Object.freeze(change.diff);
    this.decided.set(job, { ...inputs, change: Object.freeze(change) });
  }
}

/** The tasks of each job: through the memo when there is one, so unchanged jobs keep their arrays. */
export function tasksByJob(
  observed: readonly ObservedTask[],
  memo: PlanMemo | undefined,
): ReadonlyMap<JobId, readonly ObservedTask[]> {
  return memo ? memo.group(observed) : groupByJob(observed);
}

function groupByJob(observed: readonly ObservedTask[]): Map<JobId, readonly ObservedTask[]> {
  return groupBy(observed, (task) => task.jobId);
}

export function jobIds(maps: readonly ReadonlyMap<JobId, unknown>[]): readonly JobId[] {
  const ids = new Set<JobId>();
  for (const map of maps) for (const id of map.keys()) ids.add(id);
  return [...ids].sort();
}

/** Checking membership is far cheaper than sorting 10,000 ids again. */
function sameUnion(
  last: { sorted: readonly JobId[]; known: ReadonlySet<JobId> },
  maps: readonly ReadonlyMap<JobId, unknown>[],
): boolean {
  for (const map of maps) for (const id of map.keys()) if (!last.known.has(id)) return false;
  return last.sorted.every((id) => maps.some((map) => map.has(id)));
}

export function tasksOf(
  byJob: ReadonlyMap<JobId, readonly ObservedTask[]>,
  job: JobId,
): readonly ObservedTask[] {
  return byJob.get(job) ?? NO_TASKS;
}

function sameItems<T>(a: readonly T[], b: readonly T[]): boolean {
  if (a.length !== b.length) return false;
  for (let index = 0; index < a.length; index++) if (a[index] !== b[index]) return false;
  return true;
}
