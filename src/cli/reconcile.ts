/**
 * `borealis reconcile`: apply the branch head (or --ref), wait until the cluster has
 * converged, and record the deployment. Exit 0 converged (or nothing to do), 1 error or
 * rejected commit (nothing applied), 3 an update failed.
 */
import type { Command } from 'commander';
import { ExitCode } from '../errors.js';
import { deployCommit } from '../reconciler/deploy-commit.js';
import { CommitLoader } from '../reconciler/commit-loader.js';
import type { DeploymentRecord } from '../state/deployments.js';
import { openDeployEnvironment } from './compose/deploy-environment.js';
import { openSpecCache } from './compose/load-commit.js';
import { workingTreeChanges } from './compose/repository.js';
import { globalOptions, type GlobalOptions } from './global-options.js';
import { logTo, type Io } from './io.js';
import { notesOption, signatureOptions, signaturePolicy, type SignatureFlags } from './deploy-flags.js';
import { outputOption, type Output } from './output.js';
import { runPlan } from './plan.js';
import { renderProblems } from './problems.js';
import { ProgressPrinter } from './progress.js';
import { renderPlan } from './render-plan.js';
import { writeNote } from '../source/notes.js';
import { useColour } from './colour.js';

interface ReconcileOptions extends SignatureFlags {
  dryRun?: boolean;
  ref?: string;
  allowMassKill?: boolean;
  output: Output;
  detailedExitcode?: boolean;
  notes?: boolean;
}

export function registerReconcile(program: Command, io: Io): void {
  const command = program
    .command('reconcile')
    .description('apply the branch head (or --ref) to the cluster, wait until it has converged, record it')
    .option('--dry-run', 'only show the plan (same as `borealis plan`)')
    .option('--ref <REF>', 'apply this branch or commit instead of the tracked branch head')
    .option('--allow-mass-kill', 'apply even a plan that kills more than half of the running jobs')
    .addOption(outputOption(['text', 'json', 'markdown']))
    .option('--detailed-exitcode', 'with --dry-run: exit 2 when something would change')
    .addOption(notesOption());
  signatureOptions(command).action(async (options: ReconcileOptions, self: Command) => {
    const global = globalOptions(self);
    if (options.dryRun) return runPlan(global, options, io);
    if (options.ref === undefined) await noteUncommitted(global, io);
    const record = await runReconcile(global, options, io);
    if (record.outcome === 'rejected') throw new ExitCode(1);
    if (record.outcome === 'failed' || record.outcome === 'rolled_back') throw new ExitCode(3);
  });
}

async function runReconcile(
  global: GlobalOptions,
  options: ReconcileOptions,
  io: Io,
): Promise<DeploymentRecord> {
  const env = await openDeployEnvironment(global, logTo(io));
  const specs = openSpecCache(global);
  try {
    const commit = options.ref ? await env.source.resolve(options.ref) : await env.source.head();
    const printer = new ProgressPrinter(io);
    const record = await deployCommit(commit, 'manual', {
      ...env,
      clusterName: global.cluster,
      allowMassKill: options.allowMassKill,
      requireSigned: signaturePolicy(options),
      // An explicit reconcile retries an update held after failing; the daemon never does.
      retryHeld: true,
      // ...and a commit a reconciler died deploying (recorded failed with DEPLOY_CRASHED).
      retryCrashed: true,
      loader: new CommitLoader(env.source, { cache: specs.cache, limits: global.limits }),
      onPlan: (plan) => {
        io.stdout.write(renderPlan(plan, options.output, useColour(io.stdout, global.colour)));
      },
      onProblems: (problems) =>
        io.stdout.write(renderProblems(problems, commit.slice(0, 12), options.output)),
      onProgress: (progress) => printer.print(progress),
    });
    await specs.save();
    if (options.notes) await writeNote(env.source.dir, record);
    io.stdout.write(`${conclusion(record)}\n`);
    return record;
  } finally {
    await env.close();
  }
}

/** Reconcile applies commits only: say so when the work tree holds changes a plan would preview. */
async function noteUncommitted(global: GlobalOptions, io: Io): Promise<void> {
  const changes = await workingTreeChanges(global);
  if (changes)
    io.stderr.write(
      `borealis: not applying uncommitted changes (${changes.changedFiles.join(', ')}); reconcile applies commits only\n`,
    );
}

function conclusion(record: DeploymentRecord): string {
  const commit = record.commit.slice(0, 12);
  switch (record.outcome) {
    case 'succeeded':
      return `Converged: commit ${commit} is applied to cluster ${record.cluster}.`;
    case 'noop':
      return `Nothing to do for commit ${commit}: ${record.detail ?? 'no changes'}.`;
    case 'rejected':
      return `Rejected commit ${commit}: ${record.detail ?? ''}`;
    default:
      return `Commit ${commit} ${record.outcome.replace('_', ' ')}: ${record.detail ?? ''}`;
  }
}
