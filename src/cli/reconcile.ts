/**
 * `borealis reconcile`: apply the branch head and wait until the cluster has converged.
 * Exit 0 converged, 1 error or invalid commit (nothing applied), 3 an update failed.
 */
import type { Command } from 'commander';
import type { Io } from './io.js';
import { ProgressPrinter } from './progress.js';
import { ExitCode } from '../errors.js';
import { hasChanges } from '../plan/describe.js';
import { applyPass, forgetHistory } from '../reconciler/reconcile.js';
import { globalOptions } from './global-options.js';
import { outputOption, type Output } from './output.js';
import { withPrintedPlan } from './pass.js';
import type { GlobalOptions } from './context.js';
import { runPlan } from './plan.js';

interface ReconcileOptions {
  dryRun?: boolean;
  ref?: string;
  allowMassKill?: boolean;
  output: Output;
  detailedExitcode?: boolean;
}

export function registerReconcile(program: Command, io: Io): void {
  program
    .command('reconcile')
    .description('apply the branch head (or --ref) to the cluster and wait until it has converged')
    .option('--dry-run', 'only show the plan (same as `borealis plan`)')
    .option('--ref <REF>', 'apply this branch or commit instead of the tracked branch head')
    .option('--allow-mass-kill', 'apply even a plan that kills more than half of the running jobs')
    .addOption(outputOption(['text', 'json', 'markdown']))
    .option('--detailed-exitcode', 'with --dry-run: exit 2 when something would change')
    .action(async (options: ReconcileOptions, command: Command) => {
      const global = globalOptions(command);
      if (options.dryRun) return runPlan(global, options, io);
      await runReconcile(global, options, io);
    });
}

function runReconcile(global: GlobalOptions, options: ReconcileOptions, io: Io): Promise<void> {
  return withPrintedPlan(global, options, io, async (pass, planned) => {
    if (!hasChanges(planned)) {
      await pass.input.records.setApplied(planned.commit, Date.now());
      await forgetHistory(pass.input);
      return;
    }
    const printer = new ProgressPrinter(planned, io);
    const result = await applyPass(pass.input, planned, {
      allowMassKill: options.allowMassKill,
      onProgress: (progress) => printer.print(progress),
    });
    for (const outcome of result.outcomes.filter((o) => o.result !== 'succeeded')) {
      const what = outcome.result === 'rolled_back' ? 'update failed and was rolled back' : 'update failed';
      io.stdout.write(`${outcome.job}: ${what}${outcome.message ? ` (${outcome.message})` : ''}\n`);
    }
    await forgetHistory(pass.input);
    if (!result.ok) throw new ExitCode(3);
    io.stdout.write(
      `Converged: commit ${planned.commit.slice(0, 12)} is applied to cluster ${planned.cluster}.\n`,
    );
  });
}
