/** The `borealis` command line: one file per command, registered here. */
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { EXIT, ExitCode } from '../errors.js';
import { onceEach, setWarningSink } from '../util/warnings.js';
import { processIo, type Io } from './io.js';
import { addGlobalOptions } from './global-options.js';
import { registerPlan } from './plan.js';
import { registerReconcile } from './reconcile.js';
import { registerStatus } from './status.js';
import { registerLogs } from './logs.js';
import { registerLocal } from './local.js';
import { registerHistory } from './history.js';
import { registerCron } from './cron.js';
import { registerWatch } from './watch.js';
import { registerState } from './state.js';
import { registerValidate } from './validate.js';
import {
  asOperatorError,
  formatDebugStack,
  formatInternalError,
  formatOperatorError,
} from './operator-error.js';
import { reportUsageErrors } from './usage.js';

export function buildProgram(io: Io = processIo): Command {
  const program = new Command('borealis')
    .description('GitOps for Aurora-style jobs on Apache Mesos and ZooKeeper')
    .version(packageVersion(), '-V, --version', 'print the version');
  addGlobalOptions(program);
  registerValidate(program, io);
  registerPlan(program, io);
  registerReconcile(program, io);
  registerStatus(program, io);
  registerLogs(program, io);
  registerLocal(program, io);
  registerHistory(program, io);
  registerCron(program, io);
  registerWatch(program, io);
  registerState(program, io);
  reportUsageErrors(program, io);
  return program;
}

/** Runs the CLI and returns the process exit code instead of exiting, so tests can call it. */
export async function main(argv: string[], io: Io = processIo): Promise<number> {
  const restore = setWarningSink(onceEach((message) => io.stderr.write(`borealis: warning: ${message}\n`)));
  try {
    await buildProgram(io).parseAsync(argv);
    return 0;
  } catch (error) {
    return exitCodeFor(error, io);
  } finally {
    restore();
  }
}

/**
 * An operator's failure is one line with its code (and a hint); anything else is a bug,
 * printed with its stack. BOREALIS_DEBUG=1 adds the stack to every failure.
 */
function exitCodeFor(error: unknown, io: Io): number {
  if (error instanceof ExitCode) return error.code;
  if (error instanceof CommanderError) return error.exitCode; // help or version, already printed
  const known = asOperatorError(error);
  if (!known) {
    io.stderr.write(formatInternalError(error));
    return EXIT.internal;
  }
  io.stderr.write(formatOperatorError(known));
  if (process.env.BOREALIS_DEBUG === '1') io.stderr.write(formatDebugStack(error));
  return known.exitCode;
}

function packageVersion(): string {
  const manifest = new URL('../../../package.json', import.meta.url);
  return (JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version;
}
