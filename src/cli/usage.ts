/**
 * Mistakes on the command line: one line naming the mistake (with commander's
 * did-you-mean, if it has one) and a hint to the command's help, exit 64, instead of
 * commander's full usage text.
 */
import type { Command, CommanderError } from 'commander';
import { BorealisError, EXIT, ExitCode, type ErrorCode } from '../errors.js';
import type { Io } from './io.js';

/** Commander's own exits that are not mistakes: help and version were asked for. */
const NOT_MISTAKES = new Set(['commander.helpDisplayed', 'commander.version']);

const CODES: Readonly<Record<string, ErrorCode>> = {
  'commander.unknownOption': 'UNKNOWN_OPTION',
  'commander.unknownCommand': 'UNKNOWN_COMMAND',
  'commander.invalidArgument': 'BAD_OPTION_VALUE',
};

/** Applies to `program` and every command under it; call once every command is registered. */
export function reportUsageErrors(program: Command, io: Io): void {
  for (const command of allCommands(program)) {
    command
      .configureOutput({
        writeOut: (text) => io.stdout.write(text),
        writeErr: (text) => io.stderr.write(text),
        outputError: () => undefined,
      })
      .exitOverride((error) => {
        if (NOT_MISTAKES.has(error.code)) throw error;
        // No command given (`borealis`, `borealis local`): commander has printed the usage.
        if (error.code === 'commander.help') throw new ExitCode(error.exitCode === 0 ? 0 : EXIT.usage);
        throw usageError(error, command);
      });
  }
}

export function usageError(error: CommanderError, command: Command): BorealisError {
  const message = error.message
    .replace(/^error: /, '')
    .replace(/\n\(Did you mean (.*)\?\)/, ' (did you mean $1?)');
  return new BorealisError(CODES[error.code] ?? 'USAGE', message, {
    hint: `see '${commandPath(command)} --help'`,
    exitCode: EXIT.usage,
  });
}

function commandPath(command: Command): string {
  const names: string[] = [];
  for (let at: Command | null = command; at; at = at.parent) names.unshift(at.name());
  return names.join(' ');
}

function allCommands(command: Command): Command[] {
  return [command, ...command.commands.flatMap(allCommands)];
}
