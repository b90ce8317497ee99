/** Runs the `borealis` command line in-process with its own output streams. */
import { execFile } from 'node:child_process';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { main } from '../../src/cli/main.js';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** `runCli(['validate', dir])` runs `borealis validate DIR` and returns its exit code and output. */
export async function runCli(args: readonly string[]): Promise<CliRun> {
  const stdout = collect();
  const stderr = collect();
  const code = await main(['node', 'borealis', ...args], { stdout: stdout.stream, stderr: stderr.stream });
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

function collect(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

/** bin/borealis.js, for tests that run the command as its own process. */
export const BIN = fileURLToPath(new URL('../../../bin/borealis.js', import.meta.url));

/**
 * Runs `borealis ARGS` as a child process (in `cwd`, with `env` added to this process's
 * environment less BOREALIS_DEBUG), as an operator's shell would.
 */
export function runBin(
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<CliRun> {
  const env = { ...process.env, ...options.env };
  if (options.env?.BOREALIS_DEBUG === undefined) delete env.BOREALIS_DEBUG;
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [BIN, ...args], { cwd: options.cwd, env }, (error, stdout, stderr) => {
      const code = error ? error.code : 0;
      if (typeof code !== 'number') reject(error ?? new Error('no exit code'));
      else resolve({ code, stdout, stderr });
    });
  });
}
