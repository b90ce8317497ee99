/**
 * What the planner decided for each job, kept across plans while the job's inputs are the
 * very same objects: its spec (the spec cache hands out one object per unchanged file), its
 * record (records are re-read only when one changes) and its tasks (grouped here so that a
 * job whose tasks did not change keeps its array). A one-job commit in a repository of
 * 10,000 jobs then plans one job, not 10,000. Only decisions that read nothing else are
 * kept: none that depends on the time (a relaunch or its back-off) or warns.
 *
 * It also keeps the last plan's basis: its inputs and what was derived from them. While
 * the next plan's inputs differ from those in a few positions only (one spec, one record,
 * one job's tasks), `changedSince` names the jobs to plan again and the rest of the last
 * plan stands, so a one-job commit costs one job rather than 10,000 lookups and a summary.
 */
import type { ObservedTask } from '../cluster/types.js';
import type { JobId, JobSpec } from '../jobspec/types.js';
import { groupBy } from '../util/group-by.js';
import type { BackoffPolicy } from './backoff.js';
import type { JobChange, Plan, RecordedJob } from './types.js';

/** The inputs of one job's decision besides its spec, compared by identity. */
export interface JobInputs {
  record: RecordedJob | undefined;
  tasks: readonly ObservedTask[];
  retryHeld: boolean;
  prune: boolean;
}

const NO_TASKS: readonly ObservedTask[] = Object.freeze([]);

/** The inputs of a plan as `changedSince` compares them. */
export interface BasisInputs {
  desired: readonly JobSpec[];
  recorded: readonly RecordedJob[];
  byJob: ReadonlyMap<JobId, readonly ObservedTask[]>;
  retryHeld: boolean;
  prune: boolean;
  backoff: BackoffPolicy | undefined;
}

/**
 * What a plan was made from and what it derived, for planning the next one from it. Never
 * handed out with a plan (the plan gets copies), so the next plan may update it in place.
 */
export interface PlanBasis extends BasisInputs {
  desiredById: Map<JobId, JobSpec>;
  recordedById: Map<JobId, RecordedJob>;
  changes: JobChange[];
  /** The index in `changes` of each job that has a change. */
  changeAt: ReadonlyMap<JobId, number>;
  /** The warnings of each job that gave any. */
  warnings: Map<JobId, readonly string[]>;
  /** Jobs whose decision read the time or warned: planned again every time. */
  volatile: ReadonlySet<JobId>;
  summary: Plan['summary'];
}

export class PlanMemo {
  private grouped:
    { observed: readonly ObservedTask[]; byJob: Map<JobId, readonly ObservedTask[]> } | undefined;
  private readonly decided = new WeakMap<JobSpec, JobInputs & { change: JobChange }>();
  private ids: { sorted: readonly JobId[]; known: ReadonlySet<JobId> } | undefined;
  private basis: PlanBasis | undefined;
  /** How many plans were made from the last one, and how many in full. */
  readonly planned = { fromLast: 0, inFull: 0 };

  /**
   * The last plan's basis, handed out once: the planner builds the next plan's basis from
   * it, so a plan that fails half-way leaves none rather than one half updated.
   */
  takeBasis(): PlanBasis | undefined {
    const basis = this.basis;
    this.basis = undefined;
    return basis;
  }

  keepBasis(basis: PlanBasis): void {
    this.basis = basis;
  }

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
    this.decided.set(job, { ...inputs, change: frozenChange(change) });
  }
}

/**
 * The jobs whose spec, record or tasks are not the very objects the basis was planned from;
 * undefined when the plans differ more than that (other options, a job added to or removed
 * from the commit or the records): the plan is then made in full.
 */
export function changedSince(basis: PlanBasis, next: BasisInputs): Set<JobId> | undefined {
  if (next.retryHeld !== basis.retryHeld || next.prune !== basis.prune || next.backoff !== basis.backoff)
    return undefined;
  const changed = new Set<JobId>();
  if (!replacedInPlace(basis.desired, next.desired, changed)) return undefined;
  if (!replacedInPlace(basis.recorded, next.recorded, changed)) return undefined;
  if (next.byJob === basis.byJob) return changed;
  for (const [job, tasks] of next.byJob) if (basis.byJob.get(job) !== tasks) changed.add(job);
  for (const job of basis.byJob.keys()) if (!next.byJob.has(job)) changed.add(job);
  return changed;
}

/** Whether `after` is `before` with some items replaced by others of the same id (added to `changed`). */
function replacedInPlace<T extends { id: JobId }>(
  before: readonly T[],
  after: readonly T[],
  changed: Set<JobId>,
): boolean {
  if (before === after) return true;
  if (before.length !== after.length) return false;
  for (let index = 0; index < after.length; index++) {
    const was = before[index]!;
    const is = after[index]!;
    if (was === is) continue;
    if (was.id !== is.id) return false;
    changed.add(is.id);
  }
  return true;
}

/** A change shared by later plans, which must not be able to alter it. */
export function frozenChange(change: JobChange): JobChange {
  for (const list of Object.values(change.instances)) Object.freeze(list);
  Object.freeze(change.instances);
  Object.freeze(change.killTasks);
  Object.freeze(change.deferred);
  Object.freeze(change.diff);
  return Object.freeze(change);
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
