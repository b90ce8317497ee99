/**
 * `borealis state repair`: every record of the store is read and checked as Borealis reads
 * it; a record that cannot be read is moved aside (never deleted) and, where it can be, built
 * again from what is left:
 *
 *   applied           the newest deployment that succeeded (or changed nothing)
 *   jobs/<job id>     the job's configuration at the applied commit, from Git
 *   jobs-stamp        a new token (it only marks changes)
 *   deployments/…     not rebuilt: history is history; the rest of it stays readable
 *   updates/<job id>  not rebuilt: the next run plans the job again from its record
 *   cron/<job id>     not rebuilt: the scheduler starts the job's ticks again from its
 *                     record's time of applying (ticks since then are reported missed)
 *
 * Deployments left `in_progress` are closed as `failed`, saying so. A record written by
 * another version of Borealis (another `format`) is reported and left alone.
 *
 * Run it with no reconciler writing the same state: it moves records another process may be
 * about to write.
 */
import { checkCronRecord } from '../cron/records.js';
import { BorealisError } from '../errors.js';
import type { RecordedJob } from '../plan/types.js';
import type { JobSpec } from '../jobspec/types.js';
import { checkDeployment, DeploymentLog } from './deployments.js';
import {
  appliedShape,
  checkRecord,
  jobRecordShape,
  jobsStampShape,
  openDriftShape,
  recordedInstance,
  rolloutShape,
  type ShapeCheck,
} from './record-shapes.js';
import { RECORD_FORMAT, type Records } from './records.js';
import { decodeKeySegment, encodeKeySegment, StateCorruptError, type StateStore } from './types.js';

/** Where a record went, or in a dry run (no target) where it would go. */
export function movedTo(target: string | null | undefined, aside: string): string {
  if (target === undefined) return `to be moved into ${aside}`;
  return target === null ? 'gone already' : `moved to ${target}`;
}

export type RepairKind = 'moved' | 'rebuilt' | 'closed' | 'left' | 'lost';

/** One thing repair did (or, in a dry run, would do). */
export interface RepairAction {
  kind: RepairKind;
  key: string;
  detail: string;
}

export interface RepairOptions {
  records: Records;
  /** The local directory unreadable records are moved into. */
  asideDir: string;
  /** Report only; change nothing. */
  dryRun: boolean;
  /** The jobs a commit declares for this cluster, from Git. */
  jobsAt(commit: string): Promise<readonly JobSpec[]>;
  now(): number;
}

/** Outcomes after which the commit is known to be applied in full. */
const APPLIED_OUTCOMES = new Set(['succeeded', 'noop']);

export async function repairState(options: RepairOptions): Promise<RepairAction[]> {
  const { store } = options.records;
  const actions: RepairAction[] = [];
  const moved = new Set<string>();
  const left = new Set<string>();
  for await (const key of keysOf(store)) {
    const problem = await problemOf(store, key);
    if (problem === undefined) continue;
    if (!(problem instanceof StateCorruptError)) {
      left.add(key);
      actions.push({ kind: 'left', key, detail: problem.message });
      continue;
    }
    const target = options.dryRun ? undefined : await store.setAside(key, options.asideDir);
    moved.add(key);
    actions.push({ kind: 'moved', key, detail: `${problem.message}; ${movedTo(target, options.asideDir)}` });
  }
  const deployments = new DeploymentLog(store);
  actions.push(...(await rebuild(options, moved, left, deployments)));
  actions.push(...(await closeInterrupted(options, deployments)));
  return actions;
}

/** Every key of the store, depth first. */
async function* keysOf(store: StateStore, prefix = ''): AsyncGenerator<string> {
  for (const name of await store.list(prefix)) {
    const key = prefix === '' ? name : `${prefix}/${name}`;
    yield key;
    yield* keysOf(store, key);
  }
}

/** What is wrong with a key's record, as Borealis would meet it on reading; undefined when nothing is. */
async function problemOf(store: StateStore, key: string): Promise<BorealisError | undefined> {
  try {
    const found = await store.get(key);
    if (found !== null) checkKey(store, key, found.value);
    return undefined;
  } catch (error) {
    if (error instanceof BorealisError) return error;
    throw error;
  }
}

function checkKey(store: StateStore, key: string, value: unknown): void {
  const [first, rest] = [key.split('/')[0], key.split('/').slice(1).join('/')];
  const check = (shape: ShapeCheck, formatField?: string) =>
    checkRecord<Record<string, unknown>>(store, key, value, { shape, format: RECORD_FORMAT, formatField });
  if (key === 'applied') check(appliedShape);
  else if (key === 'jobs-stamp') check(jobsStampShape);
  else if (key === 'drift/open') check(openDriftShape);
  else if (first === 'deployments' && rest !== '') checkDeployment(store, key, value);
  else if (first === 'updates' && rest !== '') check(rolloutShape, 'version');
  else if (first === 'cron' && rest !== '') checkCronRecord(store, key, value);
  else if (first === 'jobs' && rest !== '')
    checkJob(store, key, decodeKeySegment(rest), check(jobRecordShape));
}

function checkJob(store: StateStore, key: string, id: string, record: Record<string, unknown>): void {
  const job = record as unknown as RecordedJob;
  const wrong = job.id !== id ? `it holds the record of ${job.id}` : hashProblem(job);
  if (wrong !== undefined) throw new StateCorruptError(key, store.locate(key), new Error(wrong));
}

function hashProblem(job: RecordedJob): string | undefined {
  try {
    recordedInstance(job);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

async function rebuild(
  options: RepairOptions,
  moved: ReadonlySet<string>,
  left: ReadonlySet<string>,
  log: DeploymentLog,
): Promise<RepairAction[]> {
  const actions: RepairAction[] = [];
  const { records } = options;
  // Another Borealis's applied commit is neither read nor replaced.
  const readable = !moved.has('applied') && !left.has('applied');
  let applied = readable ? (await records.applied())?.commit : undefined;
  if (applied === undefined && !left.has('applied')) {
    const last = (await log.list(Number.MAX_SAFE_INTEGER)).find((record) =>
      APPLIED_OUTCOMES.has(record.outcome),
    );
    if (last) {
      applied = last.commit;
      if (!options.dryRun) await records.setApplied(applied, Date.parse(last.finished_at ?? last.started_at));
      actions.push({
        kind: 'rebuilt',
        key: 'applied',
        detail: `${applied}, from deployment ${last.sequence} (${last.outcome})`,
      });
    } else if (moved.has('applied')) {
      actions.push({
        kind: 'lost',
        key: 'applied',
        detail: 'no deployment in the history succeeded; the next reconcile plans from the job records',
      });
    }
  }
  const lostJobs = [...moved]
    .filter((key) => key.startsWith('jobs/'))
    .map((key) => decodeKeySegment(key.slice(5)));
  const rebuilt = await rebuildJobs(options, lostJobs, applied);
  actions.push(...rebuilt.actions);
  if (!options.dryRun && (rebuilt.jobs.length > 0 || moved.has('jobs-stamp')))
    await records.putJobs(rebuilt.jobs);
  if (moved.has('jobs-stamp')) actions.push({ kind: 'rebuilt', key: 'jobs-stamp', detail: 'a new token' });
  return actions;
}

async function rebuildJobs(
  options: RepairOptions,
  ids: readonly string[],
  applied: string | undefined,
): Promise<{ jobs: RecordedJob[]; actions: RepairAction[] }> {
  if (ids.length === 0) return { jobs: [], actions: [] };
  const declared = applied === undefined ? [] : await options.jobsAt(applied);
  const byId = new Map(declared.map((job) => [job.id, job]));
  const jobs: RecordedJob[] = [];
  const actions: RepairAction[] = [];
  for (const id of ids) {
    const key = `jobs/${encodeKeySegment(id)}`;
    const spec = byId.get(id);
    if (spec === undefined || applied === undefined) {
      const why =
        applied === undefined ? 'no applied commit is known' : `commit ${applied} does not declare it`;
      actions.push({ kind: 'lost', key, detail: `${why}; its tasks, if any, are left to the next plan` });
      continue;
    }
    jobs.push({
      id,
      commit: applied,
      config: spec.config,
      configHash: spec.configHash,
      appliedAt: options.now(),
    });
    actions.push({
      kind: 'rebuilt',
      key,
      detail: `configuration ${spec.configHash}, from commit ${applied}`,
    });
  }
  return { jobs, actions };
}

async function closeInterrupted(options: RepairOptions, log: DeploymentLog): Promise<RepairAction[]> {
  const actions: RepairAction[] = [];
  for (const record of await log.list(Number.MAX_SAFE_INTEGER)) {
    if (record.outcome !== 'in_progress') continue;
    const detail = "interrupted before its outcome was recorded; closed by 'borealis state repair'";
    if (!options.dryRun)
      await log.update({
        ...record,
        outcome: 'failed',
        reason: 'INTERRUPTED',
        detail,
        finished_at: new Date(options.now()).toISOString(),
      });
    actions.push({
      kind: 'closed',
      key: `deployments/${String(record.sequence).padStart(12, '0')}`,
      detail: `${record.commit}: ${detail}`,
    });
  }
  return actions;
}
