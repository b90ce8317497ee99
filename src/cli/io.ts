/**
 * Where a command writes. Commands never touch process.stdout directly, so tests run the
 * CLI in-process with their own streams (and the test runner's own output stays intact).
 * What a command says besides its output (a notice, a backend's log) goes to `stderr`.
 */
import { createLog, type Log } from '../util/log.js';

export interface Io {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream;
}

export const processIo: Io = { stdout: process.stdout, stderr: process.stderr };

/** One line for the operator that is not the command's output: a fallback taken, a peer that did not answer. */
export type Notice = (message: string) => void;

/** Notices as `borealis: …` lines on the command's standard error. */
export function noticeTo(io: Io): Notice {
  return (message) => io.stderr.write(`borealis: ${message}\n`);
}

/** The log of what a command opens (backends, ZooKeeper coordination), as text on its standard error. */
export function logTo(io: Io): Log {
  return createLog('text', (text) => io.stderr.write(text));
}
