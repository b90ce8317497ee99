/** The `borealis` command line: one file per command, registered here. */
import { Command, CommanderError } from 'commander';
import { BorealisError, ExitCode } from '../errors.js';
import { processIo, type Io } from './io.js';
import { addGlobalOptions } from './global-options.js';
import { registerPlan } from './plan.js';
import { registerReconcile } from './reconcile.js';
import { registerStatus } from './status.js';
import { registerLogs } from './logs.js';
import { registerLocal } from './local.js';
import { registerHistory } from './history.js';
import { registerWatch } from './watch.js';
import { registerValidate } from './validate.js';

export function buildProgram(io: Io = processIo): Command {
  const program = new Command('borealis')
    .description('GitOps for Aurora-style jobs on Apache Mesos and ZooKeeper')
    .showHelpAfterError()
    .exitOverride();
  addGlobalOptions(program);
  registerValidate(program, io);
  registerPlan(program, io);
  registerReconcile(program, io);
  registerStatus(program, io);
  registerLogs(program, io);
  registerLocal(program, io);
  registerHistory(program, io);
  registerWatch(program, io);
  return program;
}

/** Runs the CLI and returns the process exit code instead of exiting, so tests can call it. */
export async function main(argv: string[], io: Io = processIo): Promise<number> {
  try {
    await buildProgram(io).parseAsync(argv);
    return 0;
  } catch (error) {
    return exitCodeFor(error, io);
  }
}

function exitCodeFor(error: unknown, io: Io): number {
  if (error instanceof ExitCode) return error.code;
  if (error instanceof CommanderError) return error.exitCode;
  if (error instanceof BorealisError) {
    io.stderr.write(`borealis: ${error.message}\n${error.hint ? `hint: ${error.hint}\n` : ''}`);
    return error.exitCode;
  }
  io.stderr.write(
    `borealis: internal error (please report it): ${error instanceof Error ? error.stack : String(error)}\n`,
  );
  return 70;
}
