/** Runs the `borealis` command line in-process, capturing what it prints. */
import { main } from '../../src/cli/main.js';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** `runCli(['validate', dir])` runs `borealis validate DIR` and returns its exit code and output. */
export async function runCli(args: readonly string[]): Promise<CliRun> {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const restoreStdout = capture(process.stdout, stdout);
  const restoreStderr = capture(process.stderr, stderr);
  try {
    const code = await main(['node', 'borealis', ...args]);
    return { code, stdout: stdout.join(''), stderr: stderr.join('') };
  } finally {
    restoreStdout();
    restoreStderr();
  }
}

/** Replaces `stream.write` with one that appends to `into`; returns the function restoring it. */
function capture(stream: NodeJS.WriteStream, into: string[]): () => void {
  // Restored onto the same stream, so `this` stays right.
  // eslint-disable-next-line @typescript-eslint/unbound-method
  const original = stream.write;
  const write = (chunk: string | Uint8Array, ...rest: unknown[]): boolean => {
    into.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    const callback = rest.find((arg): arg is () => void => typeof arg === 'function');
    callback?.();
    return true;
  };
  stream.write = write;
  return () => {
    stream.write = original;
  };
}
