/**
 * `borealis plan` (= `borealis reconcile --dry-run`): what applying the branch head (or
 * --ref) would change, against the live cluster and the records. Changes nothing. With
 * uncommitted changes under the job root and no --ref, it plans the work tree instead,
 * as `terraform plan` or `nomad job plan FILE` preview local files.
 */
import type { Command } from 'commander';
import { noticeTo, type Io } from './io.js';
import { ExitCode } from '../errors.js';
import { hasChanges } from '../plan/describe.js';
import { outputOption, type Output } from './output.js';
import { withPrintedPlan } from './pass.js';
import { workingTreeChanges } from './compose/repository.js';
import { globalOptions, type GlobalOptions } from './global-options.js';
import { planFromLeader } from './leader-plan.js';
import { renderPlan } from './render-plan.js';
import type { Plan } from '../plan/types.js';
import { useColour } from './colour.js';

export interface PlanOptions {
  ref?: string;
  output: Output;
  detailedExitcode?: boolean;
  /** False (`--no-ask-leader`): plan in this process even when a leader would plan it. */
  askLeader?: boolean;
}

export function registerPlan(program: Command, io: Io): void {
  program
    .command('plan')
    .description(
      'preview what reconciling the working tree, the branch head or --ref would change; changes nothing',
    )
    .option('--ref <REF>', 'plan this branch or commit instead of the tracked branch head')
    .addOption(outputOption(['text', 'json', 'markdown']))
    .option('--detailed-exitcode', 'exit 0 when nothing would change, 2 when something would, 1 on error')
    .option('--no-ask-leader', 'plan in this process rather than asking the leading reconciler to')
    .action(async (options: PlanOptions, command: Command) => runPlan(globalOptions(command), options, io));
}

export async function runPlan(global: GlobalOptions, options: PlanOptions, io: Io): Promise<void> {
  const exitCode = (planned: Plan) => {
    if (options.detailedExitcode && hasChanges(planned)) throw new ExitCode(2);
  };
  const workingTree = options.ref === undefined ? await workingTreeChanges(global) : undefined;
  if (workingTree) {
    // The leader plans commits; only this process sees the work tree.
    const flags = { output: options.output, workingTree };
    return withPrintedPlan(global, flags, io, (_pass, planned) => Promise.resolve(exitCode(planned)));
  }
  const fromLeader =
    options.askLeader === false ? undefined : await planFromLeader(global, options.ref, noticeTo(io));
  if (fromLeader) {
    io.stdout.write(renderPlan(fromLeader, options.output, useColour(io.stdout, global.colour)));
    return exitCode(fromLeader);
  }
  return withPrintedPlan(global, options, io, (_pass, planned) => Promise.resolve(exitCode(planned)));
}
