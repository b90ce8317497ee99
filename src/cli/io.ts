/**
 * Where a command writes. Commands never touch process.stdout directly, so tests run the
 * CLI in-process with their own streams (and the test runner's own output stays intact).
 */
export interface Io {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream;
}

export const processIo: Io = { stdout: process.stdout, stderr: process.stderr };
