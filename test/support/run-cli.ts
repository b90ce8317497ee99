/** Runs the `borealis` command line in-process with its own output streams. */
import { PassThrough } from 'node:stream';
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
