/**
 * One commit, one deployment: the whole story of a commit reaching the reconciler, from
 * its record being opened to its outcome. Nothing is applied from a commit that is
 * unsigned (when signatures are required), invalid, or would kill too much; each of
 * those is still recorded, with the reason.
 */
import type { Cluster } from '../cluster/types.js';
import {
  clearSettledRollouts,
  releaseObsoleteHolds,
  type DeployResult,
  type HaltRequest,
} from '../deploy/executor.js';
import { hasChanges, hasWork, visibleChanges } from '../plan/describe.js';
import type { Planner } from '../plan/planner.js';
import type { Plan } from '../plan/types.js';
import { verifyCommitSignature, type SignaturePolicy } from '../source/signatures.js';
import type { CommitInfo, TrackedSource } from '../source/tracked.js';
import { CommitLoader } from './commit-loader.js';
import type { JobSpec, Problem } from '../jobspec/types.js';
import type { DeploymentReason } from '../state/deployment-reasons.js';
import type {
  DeploymentAttempt,
  DeploymentLog,
  DeploymentRecord,
  JobResultRecord,
  Outcome,
  Trigger,
} from '../state/deployments.js';
import type { Records } from '../state/records.js';
import { StateCorruptError } from '../state/types.js';
import {
  applyPass,
  forgetHistory,
  jobsFor,
  planPass,
  type ApplyOptions,
  type PassInput,
} from './reconcile.js';
import { isOperational, judgeAttempt, THIS_PROCESS, type AttemptVerdict } from './attempts.js';
import { failpoint } from './failpoint.js';
import { JobEvents } from './job-events.js';
import { withKillWindow } from './kill-window.js';
import { DEFAULT_KILL_WINDOW, type KillWindow } from '../plan/guard.js';

/** A pass's hooks are `ApplyOptions`' (the executor's, declared once there). */
export interface DeployCommitContext extends Pick<
  ApplyOptions,
  'allowMassKill' | 'onProgress' | 'halt' | 'beforeKill'
> {
  source: TrackedSource;
  clusterName: string;
  cluster: Cluster;
  records: Records;
  deployments: DeploymentLog;
  /** The recent deployments whose kills count with this commit's (default DEFAULT_KILL_WINDOW). */
  killWindow?: KillWindow;
  /** When set, only commits whose signature is trusted under this policy are applied. */
  requireSigned?: SignaturePolicy;
  /** Called once the commit is read, before anything else: `resuming` when its record was left unfinished. */
  onStart?: (info: CommitInfo, resuming: boolean) => void;
  /** Called with the plan before anything is applied (the CLI prints it). */
  onPlan?: (plan: Plan) => void;
  /** Called with the problems of an invalid commit. */
  onProblems?: (problems: readonly Problem[]) => void;
  /** Called with a valid commit's jobs, so a caller that needs them again need not load them twice. */
  onLoaded?: (commit: string, jobs: JobSpec[]) => void;
  now?: () => number;
  /** Try again updates held after failing: an operator asked for this commit explicitly. */
  retryHeld?: boolean;
  /** Try again a commit a reconciler died deploying (see attempts.ts): an operator asked for it explicitly. */
  retryCrashed?: boolean;
  /** Kill tasks no commit declares (default true). */
  prune?: boolean;
  /** Loads the commit's jobs (through the spec cache, from the last commit loaded); by default in full, uncached. */
  loader?: CommitLoader;
  /** The planner of the passes: the daemon's incremental one (reconcile.ts's PassInput). */
  planner?: Planner;
}

export async function deployCommit(
  commit: string,
  trigger: Trigger,
  context: DeployCommitContext,
): Promise<DeploymentRecord> {
  const now = context.now ?? Date.now;
  const info = await context.source.commit(commit);
  const unfinished = await context.deployments.unfinished(info.id);
  context.onStart?.(info, unfinished !== null);
  const verdict = judgeAttempt(unfinished?.attempt, THIS_PROCESS, context.retryCrashed ?? false);
  const signature = context.requireSigned
    ? await verifyCommitSignature(context.source.dir, commit, context.requireSigned)
    : { status: 'not_checked', trusted: false, detail: 'signatures are not required' };
  const planning = attemptOf('planning', verdict.crashes, now());
  const opened = unfinished
    ? { ...resumable(unfinished), attempt: planning }
    : await context.deployments.append({
        ...openRecord(
          info,
          trigger,
          context.clusterName,
          signature,
          (await context.records.applied())?.commit ?? null,
          now(),
        ),
        attempt: planning,
      });
  const deployment = new OpenDeployment(opened, context.deployments, now);
  if (verdict.fail) return deployment.finish('failed', crashedFields(verdict));
  if (unfinished) await deployment.write();
  else await context.deployments.closeInterrupted(info.id, now());
  try {
    return await deployOpened(info, trigger, signature, deployment, context);
  } catch (error) {
    const phase = deployment.record.attempt?.phase ?? 'planning';
    // The environment failed (a store, the cluster): the next pass tries again, and resumes
    // a rollout under way from its record, which says what stopped it.
    if (isOperational(error)) {
      if (phase === 'applying') await deployment.stopApplying(error);
      // Not a death while planning: without its marker, a restart plans the commit again.
      else if (deployment.record.outcome === 'in_progress' && deployment.record.attempt)
        await deployment.finish('in_progress').catch(() => undefined);
      throw error;
    }
    const message = oneLine(error);
    return deployment.finish('failed', {
      ...because(
        'DEPLOY_INTERNAL_ERROR',
        `internal error while ${phase}: ${message}; not retried until a newer commit or \`borealis reconcile\``,
      ),
      jobs: deployment.jobsSoFar(),
      error: { code: 'DEPLOY_INTERNAL_ERROR', message },
    });
  }
}

/** A record's reason: the code, and the sentence for a person. */
function because(reason: DeploymentReason, detail: string): Pick<DeploymentRecord, 'reason' | 'detail'> {
  return { reason, detail };
}

/** An unfinished record as a resumed deployment starts from: what stopped it last time no longer holds. */
function resumable(record: DeploymentRecord): DeploymentRecord {
  const { reason: _reason, detail: _detail, error: _error, ...rest } = record;
  return rest;
}

function oneLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0] ?? '';
}

/** An operational error's code (a BorealisError's, or a system call's such as ENOSPC). */
function codeOf(error: unknown): string {
  const code = error instanceof Error ? (error as { code?: unknown }).code : undefined;
  return typeof code === 'string' ? code : 'APPLY_ERROR';
}

/** A deployment record being written: each write builds on the last, so the plan written when applying starts is kept to the end. */
class OpenDeployment {
  /** Per-job events while the plan is applied. */
  events: JobEvents | undefined;

  constructor(
    public record: DeploymentRecord,
    private readonly deployments: DeploymentLog,
    private readonly now: () => number,
  ) {}

  async write(): Promise<void> {
    await this.deployments.update(this.record);
  }

  /** Ends the record (or, for `in_progress`, updates it); an ended one has no attempt left open. */
  async finish(outcome: Outcome, fields: Partial<DeploymentRecord> = {}): Promise<DeploymentRecord> {
    const { attempt: _ended, ...rest } = this.record;
    this.record = {
      ...rest,
      ...fields,
      outcome,
      finished_at: outcome === 'in_progress' ? null : new Date(this.now()).toISOString(),
    };
    await this.write();
    return this.record;
  }

  /** The jobs and their events so far, while applying; the record's own before. */
  jobsSoFar(): JobResultRecord[] {
    return this.events?.records() ?? this.record.jobs;
  }

  /**
   * An error stopped applying: the record says so, with the events so far, and stays open
   * with no attempt marked, so the next pass (or a restarted reconciler) resumes it as it
   * would after a shutdown. Writing may fail for the same reason (a store out of reach):
   * the error itself is what the caller reports.
   */
  async stopApplying(error: unknown): Promise<void> {
    const message = oneLine(error);
    await this.finish('in_progress', {
      ...because('APPLY_ERROR', `applying stopped on an error: ${message}; the next pass resumes it`),
      error: { code: codeOf(error), message },
      jobs: this.jobsSoFar(),
    }).catch(() => undefined);
  }
}

function attemptOf(phase: DeploymentAttempt['phase'], crashes: number, at: number): DeploymentAttempt {
  return { phase, since: new Date(at).toISOString(), crashes, process: THIS_PROCESS };
}

function crashedFields(verdict: AttemptVerdict & { fail: true }): Partial<DeploymentRecord> {
  const times = verdict.crashes === 1 ? 'once' : `${verdict.crashes} times`;
  const message = `the reconciler died while ${verdict.phase} this commit (${times}: killed, or out of memory)`;
  return {
    ...because('DEPLOY_CRASHED', `${message}; not retried until a newer commit or \`borealis reconcile\``),
    error: { code: 'DEPLOY_CRASHED', message },
  };
}

async function deployOpened(
  info: CommitInfo,
  trigger: Trigger,
  signature: DeploymentRecord['signature'],
  deployment: OpenDeployment,
  context: DeployCommitContext,
): Promise<DeploymentRecord> {
  const now = context.now ?? Date.now;
  const finish = (outcome: Outcome, fields?: Partial<DeploymentRecord>) => deployment.finish(outcome, fields);
  const record = deployment.record;
  if (context.requireSigned && !signature.trusted)
    return finish('rejected', because('UNTRUSTED', `untrusted commit: ${signature.detail}`));
  // A new commit that changes nothing under the job root cannot change the desired state;
  // resyncs heal between commits. An operator's explicit reconcile always plans.
  const unchangedRoot =
    trigger !== 'manual' &&
    record.parent_applied !== null &&
    record.parent_applied !== info.id &&
    !(await context.source.touchesJobRoot(record.parent_applied, info.id));
  if (unchangedRoot) {
    await context.records.setApplied(info.id, now());
    return finish(
      'noop',
      because('PATH_UNCHANGED', `nothing under ${context.source.path || 'the repository root'} changed`),
    );
  }
  const repository = await (context.loader ?? new CommitLoader(context.source)).load(info.id);
  if (repository.problems.length > 0) {
    context.onProblems?.(repository.problems);
    return finish('rejected', {
      ...because('INVALID', `${repository.problems.length} validation problem(s); nothing applied`),
      errors: repository.problems,
    });
  }
  context.onLoaded?.(info.id, repository.jobs);
  const input: PassInput = {
    commit: info.id,
    clusterName: context.clusterName,
    jobs: repository.jobs,
    cluster: context.cluster,
    records: context.records,
    now,
    retryHeld: context.retryHeld,
    prune: context.prune,
    planner: context.planner,
  };
  failpoint('planning', info.id);
  const window = context.killWindow ?? DEFAULT_KILL_WINDOW;
  const plan = await planPass(input)
    .then((plan) => withKillWindow(plan, context.deployments, window, record.sequence, now()))
    .then(async (plan) => {
      // A damaged record must stop the deployment before it changes the cluster, not half-way through recording it.
      await context.records.checkWritable(plan.changes.map((change) => change.job));
      return plan;
    })
    .catch(async (error: unknown) => {
      if (error instanceof StateCorruptError)
        await finish('failed', because('STATE_CORRUPT', `nothing applied: ${error.message}`));
      throw error;
    });
  // Jobs left as they are are counted in the summary only: listing each of them made every
  // record of a large repository megabytes, read and written on every pass.
  const planned = {
    plan: { ...plan, changes: visibleChanges(plan) },
    planned_at: new Date(now()).toISOString(),
  };
  context.onPlan?.(plan);
  if (plan.massKill && !context.allowMassKill)
    return finish('rejected', { ...planned, ...because('MASS_KILL', `refused: ${plan.massKill.message}`) });
  if (!hasWork(plan)) {
    await clearSettledRollouts(context.records, info.id);
    await releaseObsoleteHolds(plan, jobsFor(repository.jobs, context.clusterName), context.records, now());
    await context.records.setApplied(info.id, now());
    await forgetHistory(input);
    const reason = hasChanges(plan)
      ? because('HELD', 'nothing to apply: the updates held after failing stay held')
      : because('IN_SYNC', 'the cluster already matches this commit');
    return finish('noop', { ...planned, ...reason });
  }
  const crashes = record.attempt?.crashes ?? 0;
  await finish('in_progress', { ...planned, attempt: attemptOf('applying', crashes, now()) });
  const events = new JobEvents(plan, now, record.jobs);
  deployment.events = events;
  failpoint('applying', info.id);
  const result = await applyPass(input, plan, {
    allowMassKill: true,
    halt: context.halt,
    beforeKill: context.beforeKill,
    onProgress: (progress) => {
      events.add(progress);
      context.onProgress?.(progress);
      failpoint('rollout', info.id);
    },
  });
  await forgetHistory(input);
  const halt = context.halt?.() ?? 'no';
  return finish(...outcomeOf(result, halt, events.records(result, halt)));
}

function openRecord(
  info: CommitInfo,
  trigger: Trigger,
  clusterName: string,
  signature: DeploymentRecord['signature'],
  parentApplied: string | null,
  at: number,
): Omit<DeploymentRecord, 'sequence' | 'format'> {
  return {
    commit: info.id,
    parent_applied: parentApplied,
    author: info.author,
    committer: info.committer,
    date: info.date,
    message: info.message,
    signature,
    trigger,
    cluster: clusterName,
    outcome: 'in_progress',
    jobs: [],
    errors: [],
    started_at: new Date(at).toISOString(),
    finished_at: null,
  };
}

function outcomeOf(
  result: DeployResult,
  halt: HaltRequest,
  jobs: JobResultRecord[],
): [Outcome, Partial<DeploymentRecord>] {
  if (result.interrupted.length > 0) {
    // A shutdown leaves the record open, so the next start resumes it; a newer commit closes it.
    if (halt === 'now')
      return [
        'in_progress',
        {
          jobs,
          ...because('STOPPED', 'the reconciler stopped; the deployment resumes when it starts again'),
        },
      ];
    return [
      'superseded',
      {
        jobs,
        ...because(
          'SUPERSEDED',
          'a newer commit arrived; stopped once no instance was between its old and new task',
        ),
      },
    ];
  }
  const results = result.outcomes.map((outcome) => outcome.result);
  if (results.includes('failed'))
    return ['failed', { jobs, ...because('ROLLOUT_FAILED', describeFailures(result)) }];
  if (results.includes('rolled_back'))
    return ['rolled_back', { jobs, ...because('ROLLED_BACK', describeFailures(result)) }];
  return ['succeeded', { jobs }];
}

function describeFailures(result: DeployResult): string {
  return result.outcomes
    .filter((outcome) => outcome.result !== 'succeeded')
    .map(
      (outcome) =>
        `${outcome.job}: ${outcome.result === 'rolled_back' ? 'rolled back' : 'failed'}${outcome.message ? ` (${outcome.message})` : ''}`,
    )
    .join('; ');
}

/** Records commits that were skipped because a newer one landed with them. */
export async function recordSuperseded(
  commits: readonly string[],
  newest: string,
  trigger: Trigger,
  context: Pick<DeployCommitContext, 'source' | 'deployments' | 'clusterName' | 'records' | 'now'>,
): Promise<void> {
  const now = (context.now ?? Date.now)();
  const parent = (await context.records.applied())?.commit ?? null;
  for (const commit of [...commits].reverse()) {
    const info = await context.source.commit(commit);
    const signature = { status: 'not_checked', trusted: false, detail: 'skipped before any check' };
    const base = openRecord(info, trigger, context.clusterName, signature, parent, now);
    await context.deployments.append({
      ...base,
      outcome: 'superseded',
      superseded_by: newest,
      ...because(
        'SUPERSEDED',
        `newer commit ${newest.slice(0, 12)} landed together with it; only the newest is deployed`,
      ),
      finished_at: new Date(now).toISOString(),
    });
  }
}
