/** `borealis validate [PATH] [--ref REF] [-o text|json]`: exit 0 when valid, 1 when not. */
import type { Command } from 'commander';
import type { Io } from './io.js';
import { ExitCode } from '../errors.js';
import { openTree } from '../source/open-tree.js';
import { loadRepository } from '../jobspec/load.js';
import type { LoadedRepository } from '../jobspec/types.js';
import { formatProblem, pickProblemFields, renderProblems } from './problems.js';
import { formatMiB } from '../jobspec/sizes.js';
import { outputOption, type Output } from './output.js';
import { loadLimits } from './global-options.js';

interface ValidateOptions {
  ref?: string;
  path?: string;
  output: Output;
}

export function registerValidate(program: Command, io: Io): void {
  program
    .command('validate')
    .description('check every job file of a repository (or of one commit) against the schema and rules')
    .argument('[PATH]', 'job root directory, or with --ref any directory of the Git repository', '.')
    .option('--ref <REF>', 'validate this commit instead of the files on disk')
    .option('--path <DIR>', 'job root inside the Git repository holding PATH (default: PATH itself)')
    .addOption(outputOption(['text', 'json']))
    .action(async (dir: string, options: ValidateOptions, command: Command) => {
      const tree = await openTree({ dir, ref: options.ref, path: jobRoot(options, command) });
      try {
        const repository = await loadRepository(tree, { limits: loadLimits(command) });
        io.stdout.write(
          options.output === 'json' ? renderJson(repository) : renderText(repository, tree.description),
        );
        if (repository.problems.length > 0) throw new ExitCode(1);
      } finally {
        await tree.close();
      }
    });
}

export { formatProblem };

/**
 * `--path` is also a global option, and commander hands it to the program, not to
 * `validate`, whichever side of the command it is written on: read it from either.
 */
function jobRoot(options: ValidateOptions, command: Command): string | undefined {
  const path = options.path ?? command.optsWithGlobals<{ path?: string }>().path;
  return path === '' ? undefined : path;
}

/** 2: an object with `format_version` (1 was a bare array of problems); schemas/validate.schema.json. */
const VALIDATE_DOCUMENT_VERSION = 2;

function renderJson({ problems, jobs }: LoadedRepository): string {
  const valid = problems.length === 0;
  const document = {
    format_version: VALIDATE_DOCUMENT_VERSION,
    valid,
    jobs: valid
      ? jobs.map((job) => ({
          job: job.id,
          file: job.file,
          instances: job.config.instances,
          config_hash: job.configHash,
        }))
      : [],
    errors: problems.map(pickProblemFields),
  };
  return `${JSON.stringify(document, null, 2)}\n`;
}

function renderText({ problems, jobs, clusters }: LoadedRepository, origin: string): string {
  if (problems.length > 0) return renderProblems(problems, origin, 'text');
  const rows = jobs.map((job) => {
    const { cpu, ram, disk } = job.config.task.resources;
    return `  ${job.id}  ×${job.config.instances}  cpu ${cpu} ram ${formatMiB(ram)} disk ${formatMiB(disk)}  config ${job.configHash}  (${job.file})`;
  });
  const summary = `${origin}: valid: ${jobs.length} job${jobs.length === 1 ? '' : 's'} on clusters ${clusters.map((c) => c.name).join(', ')}`;
  return `${summary}\n${rows.join('\n')}${rows.length ? '\n' : ''}`;
}
