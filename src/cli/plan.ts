/**
 * `borealis plan` (= `borealis reconcile --dry-run`): what applying the branch head (or
 * --ref) would change, against the live cluster and the records. Changes nothing.
 */
import type { Command } from 'commander';
import type { Io } from './io.js';
import { ExitCode } from '../errors.js';
import { hasChanges } from '../plan/describe.js';
import { renderJson } from '../plan/render-json.js';
import { renderMarkdown } from '../plan/render-markdown.js';
import { renderText } from '../plan/render-text.js';
import type { Plan } from '../plan/types.js';
import { planPass } from '../reconciler/reconcile.js';
import { globalOptions } from './global-options.js';
import { outputOption, type Output } from './output.js';
import { openPass } from './pass.js';

export interface PlanOptions {
  ref?: string;
  output: Output;
  detailedExitcode?: boolean;
}

export function registerPlan(program: Command, io: Io): void {
  program
    .command('plan')
    .description('preview what reconciling the branch head (or --ref) would change; changes nothing')
    .option('--ref <REF>', 'plan this branch or commit instead of the tracked branch head')
    .addOption(outputOption(['text', 'json', 'markdown']))
    .option('--detailed-exitcode', 'exit 0 when nothing would change, 2 when something would, 1 on error')
    .action(async (options: PlanOptions, command: Command) => runPlan(globalOptions(command), options, io));
}

export async function runPlan(
  global: Parameters<typeof openPass>[0],
  options: PlanOptions,
  io: Io,
): Promise<void> {
  const pass = await openPass(global, options.ref, options.output, io);
  try {
    const planned = await planPass(pass.input);
    io.stdout.write(renderPlan(planned, options.output, io.stdout.isTTY === true));
    if (options.detailedExitcode && hasChanges(planned)) throw new ExitCode(2);
  } finally {
    await pass.close();
  }
}

export function renderPlan(planned: Plan, output: Output, colour = false): string {
  if (output === 'json') return renderJson(planned);
  if (output === 'markdown') return renderMarkdown(planned);
  return renderText(planned, { colour });
}
