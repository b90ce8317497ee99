/**
 * A Node child process that reports by printing lines, for tests that kill real processes
 * at a chosen point (a failpoint) and look at what they left on disk.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface LineChild {
  process: ChildProcessWithoutNullStreams;
  /** Resolves with the next line the child prints; rejects if it exits first. */
  line(): Promise<string>;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
}

/** Runs `script` with `args`; `env` is added to this process's environment. */
export function spawnLineChild(script: string, env: Record<string, string>, args: string[]): LineChild {
  const child = spawn(process.execPath, [script, ...args], { env: { ...process.env, ...env } });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>(
    (resolve) => child.once('close', (code, signal) => resolve({ code, signal, stderr })),
  );
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const line = async (): Promise<string> => {
    const next = await lines.next();
    if (next.done === true) throw new Error(`child ${args.join(' ')} ended: ${(await exit).stderr}`);
    return next.value;
  };
  return { process: child, line, exit };
}

/** Kills the child as a crash would (no handler runs) and waits until it is gone. */
export async function killed(child: LineChild): Promise<void> {
  child.process.kill('SIGKILL');
  assert.equal((await child.exit).signal, 'SIGKILL');
}
