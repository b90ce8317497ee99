/**
 * Incremental planning, for the daemon: the plan the pure `plan` would make (the walks in
 * test/plan/plan-basis.test.ts compare them step by step), made by handing out each job's
 * last decision again while its inputs are the very same objects: its spec (the spec cache
 * hands out one object per unchanged file), its record (records are re-read only when one
 * changes) and its tasks (grouped here so that a job whose tasks did not change keeps its
 * array). A one-job commit in a large repository then decides one job, not all of them.
 *
 * Two shortcuts, both exact:
 * - From the last plan: while the commit, the records and the snapshot differ from the
 *   last ones in a few positions only, only the jobs there (and those whose decision read
 *   the time or warned) are decided again; the job sets are not built again.
 * - In full (a job added or dropped, other options): the sets are built again, and a job
 *   whose inputs are the same objects as last time keeps its decision.
 * A decision that read the time (a relaunch or its back-off) or warned is never kept. A cron
 * job's decision read the clock too, for its next runs, but those change only when the
 * first of them passes: it is kept until then (`JobDecision.standsUntil`).
 */
import type { ObservedTask } from '../cluster/types.js';
import type { JobId, JobSpec } from '../jobspec/types.js';
import {
  assemblePlan,
  decideJob,
  decisionOptions,
  groupTasks,
  jobSets,
  type DecisionOptions,
  type JobDecision,
  type JobInputs,
  type PlanInput,
  type Planner,
} from './planner.js';
import type { Plan, RecordedJob } from './types.js';

/** A job's decision and what it was made from. */
interface Entry {
  inputs: JobInputs;
  decision: JobDecision;
  /**
   * While its inputs are the same, the decision stands for a `now` in [from, until): for
   * ever when it read neither the time nor gave a warning, never when it did (an empty
   * span), until a cron job's next run when it read the clock for that.
   */
  stands: { from: number; until: number };
}

const FOR_EVER = Object.freeze({ from: -Infinity, until: Infinity });
const NEVER = Object.freeze({ from: Infinity, until: -Infinity });

const standsAt = (entry: Entry, now: number): boolean => entry.stands.from <= now && now < entry.stands.until;
const keptForEver = (entry: Entry): boolean => entry.stands === FOR_EVER;

/** What the last plan was made from and decided; never handed out, so the next plan updates it in place. */
interface LastPlan {
  desired: readonly JobSpec[];
  recorded: readonly RecordedJob[];
  byJob: ReadonlyMap<JobId, readonly ObservedTask[]>;
  options: DecisionOptions;
  /** One per job, in job order. */
  entries: Entry[];
  /** Each job's index in `entries`. */
  at: ReadonlyMap<JobId, number>;
  /** Jobs whose entry does not stand for ever: looked at again by every plan. */
  volatile: Set<JobId>;
  /** No id twice in the commit or the records: the next inputs can be compared position by position. */
  comparable: boolean;
}

const NO_TASKS: readonly ObservedTask[] = Object.freeze([]);

export class IncrementalPlanner {
  private readonly grouping = new TaskGrouping();
  private last: LastPlan | undefined;
  /** How many plans were made from the last one, and how many in full. */
  readonly planned = { fromLast: 0, inFull: 0 };

  readonly plan: Planner = (input: PlanInput): Plan => {
    const byJob = this.grouping.group(input.observed);
    const options = decisionOptions(input);
    // Taken, not read: a plan that fails half-way leaves no half-updated last plan behind.
    const last = this.last;
    this.last = undefined;
    const changed = last && changedSince(last, input, byJob, options);
    let next: LastPlan;
    if (last && changed) {
      next = fromLast(last, changed, input, byJob, options);
      this.planned.fromLast++;
    } else {
      next = inFull(last, input, byJob, options);
      this.planned.inFull++;
    }
    this.last = next;
    return assemblePlan(
      input,
      next.entries.map((entry) => entry.decision),
      byJob,
    );
  };
}

function inFull(
  last: LastPlan | undefined,
  input: PlanInput,
  byJob: ReadonlyMap<JobId, readonly ObservedTask[]>,
  options: DecisionOptions,
): LastPlan {
  const reusable = last && sameOptions(last.options, options) ? last : undefined;
  const entries = jobSets(input.desired, input.recorded, byJob).map((inputs) => {
    const index = reusable?.at.get(inputs.id);
    const before = index === undefined ? undefined : reusable!.entries[index];
    return before && standsAt(before, options.now) && sameInputs(before.inputs, inputs)
      ? before
      : decided(inputs, options);
  });
  const comparable =
    distinctIds(input.desired) === input.desired.length &&
    distinctIds(input.recorded) === input.recorded.length;
  return {
    desired: input.desired,
    recorded: input.recorded,
    byJob,
    options,
    entries,
    at: new Map(entries.map((entry, index) => [entry.inputs.id, index])),
    volatile: new Set(entries.filter((entry) => !keptForEver(entry)).map((entry) => entry.inputs.id)),
    comparable,
  };
}

/** The last plan with the changed jobs, and those whose decision no longer stands, decided again. */
function fromLast(
  last: LastPlan,
  changed: ReadonlyMap<JobId, JobInputs>,
  input: PlanInput,
  byJob: ReadonlyMap<JobId, readonly ObservedTask[]>,
  options: DecisionOptions,
): LastPlan {
  const { entries, at, volatile } = last;
  for (const id of new Set([...changed.keys(), ...volatile])) {
    const index = at.get(id)!;
    const inputs = changed.get(id);
    if (!inputs && standsAt(entries[index]!, options.now)) continue;
    const entry = decided(inputs ?? entries[index]!.inputs, options);
    entries[index] = entry;
    if (keptForEver(entry)) volatile.delete(id);
    else volatile.add(id);
  }
  return { ...last, desired: input.desired, recorded: input.recorded, byJob, options };
}

function decided(inputs: JobInputs, options: DecisionOptions): Entry {
  const decision = decideJob(inputs, options);
  const change = decision.change;
  // A relaunch or its back-off reads the time; a warning must be given again.
  const readsTime = change !== undefined && (change.instances.heal.length > 0 || change.deferred.length > 0);
  if (readsTime || decision.warnings.length > 0) return { inputs, decision, stands: NEVER };
  if (decision.standsUntil === undefined) return { inputs, decision, stands: FOR_EVER };
  return { inputs, decision, stands: { from: options.now, until: decision.standsUntil } };
}

/**
 * The jobs whose spec, record or tasks are not the very objects the last plan was made
 * from, with their inputs now; undefined when the inputs differ more than that (other
 * options, a job added to or dropped from the commit or the records, tasks of a job the
 * last plan did not know): the plan is then made in full.
 */
function changedSince(
  last: LastPlan,
  input: PlanInput,
  byJob: ReadonlyMap<JobId, readonly ObservedTask[]>,
  options: DecisionOptions,
): Map<JobId, JobInputs> | undefined {
  if (!last.comparable || !sameOptions(last.options, options)) return undefined;
  const changes = new Changes(last);
  const specs = changes.replacedInPlace(last.desired, input.desired, (inputs, job) => (inputs.job = job));
  if (!specs) return undefined;
  const records = changes.replacedInPlace(
    last.recorded,
    input.recorded,
    (inputs, record) => (inputs.record = record),
  );
  if (!records) return undefined;
  if (byJob === last.byJob) return changes.inputs;
  for (const [id, tasks] of byJob) {
    if (last.byJob.get(id) === tasks) continue;
    const inputs = changes.of(id);
    if (!inputs) return undefined;
    inputs.tasks = tasks;
  }
  for (const id of last.byJob.keys()) if (!byJob.has(id)) changes.of(id)!.tasks = NO_TASKS;
  return changes.inputs;
}

/** The new inputs of the jobs that changed since the last plan. */
class Changes {
  readonly inputs = new Map<JobId, JobInputs>();

  constructor(private readonly last: LastPlan) {}

  /** A job's inputs to update; undefined for a job the last plan did not know. */
  of(id: JobId): JobInputs | undefined {
    const known = this.inputs.get(id);
    if (known) return known;
    const index = this.last.at.get(id);
    if (index === undefined) return undefined;
    const inputs = { ...this.last.entries[index]!.inputs };
    this.inputs.set(id, inputs);
    return inputs;
  }

  /** Whether `after` is `before` with some items replaced by others of the same id; each is `set` into its job's inputs. */
  replacedInPlace<T extends { id: JobId }>(
    before: readonly T[],
    after: readonly T[],
    set: (inputs: JobInputs, item: T) => void,
  ): boolean {
    if (before === after) return true;
    if (before.length !== after.length) return false;
    for (let index = 0; index < after.length; index++) {
      const item = after[index]!;
      if (before[index] === item) continue;
      const inputs = before[index]!.id === item.id ? this.of(item.id) : undefined;
      if (!inputs) return false;
      set(inputs, item);
    }
    return true;
  }
}

function sameOptions(a: DecisionOptions, b: DecisionOptions): boolean {
  return a.retryHeld === b.retryHeld && a.prune === b.prune && a.backoff === b.backoff;
}

function sameInputs(a: JobInputs, b: JobInputs): boolean {
  return a.job === b.job && a.record === b.record && a.tasks === b.tasks;
}

function distinctIds(items: readonly { id: JobId }[]): number {
  return new Set(items.map((item) => item.id)).size;
}

/** Groups a snapshot's tasks by job; a job whose tasks are the same objects as last time keeps its array. */
export class TaskGrouping {
  private last: { observed: readonly ObservedTask[]; byJob: Map<JobId, readonly ObservedTask[]> } | undefined;

  group(observed: readonly ObservedTask[]): ReadonlyMap<JobId, readonly ObservedTask[]> {
    if (this.last?.observed === observed) return this.last.byJob;
    const byJob = groupTasks(observed);
    const previous = this.last?.byJob;
    if (previous) {
      for (const [job, tasks] of byJob) {
        const before = previous.get(job);
        if (before && sameItems(before, tasks)) byJob.set(job, before);
      }
    }
    this.last = { observed, byJob };
    return byJob;
  }
}

function sameItems<T>(a: readonly T[], b: readonly T[]): boolean {
  if (a.length !== b.length) return false;
  for (let index = 0; index < a.length; index++) if (a[index] !== b[index]) return false;
  return true;
}
