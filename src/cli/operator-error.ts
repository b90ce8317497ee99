/**
 * Which failures an operator can fix, and how they read: a `BorealisError` as it is, and
 * the few errors from below (ZooKeeper, the operating system) that are about the
 * environment rather than about Borealis, translated here at the command line's edge.
 */
import { BorealisError } from '../errors.js';
import { ZkError } from '../zookeeper/session.js';

/** System errors that mean "this machine or its configuration", never a bug of ours. */
const SYSTEM_HINTS: Readonly<Record<string, string>> = {
  EACCES: 'check the permissions of that path, or choose another one',
  EPERM: 'check the permissions of that path, or choose another one',
  ENOTDIR: 'a part of that path is a file, not a directory; choose another path',
  EISDIR: 'that path is a directory where a file was expected; choose another path',
  EROFS: 'that file system is read-only; choose a writable path',
  ENOSPC: 'the disk is full; free some space',
  EDQUOT: 'the disk quota is exhausted; free some space',
  EMFILE: 'too many open files; raise the limit (ulimit -n)',
  ENFILE: 'too many open files on this machine; raise the limit',
};

export function asOperatorError(error: unknown): BorealisError | undefined {
  if (error instanceof BorealisError) return error;
  if (error instanceof ZkError) {
    return new BorealisError('ZK_FAILED', `ZooKeeper: ${error.message}`, {
      cause: error,
      hint: 'check that ZooKeeper is reachable and, with ACLs, that BOREALIS_ZK_DIGEST holds the credentials',
    });
  }
  const hint = SYSTEM_HINTS[systemCode(error) ?? ''];
  if (hint) return new BorealisError('SYSTEM', (error as Error).message, { cause: error, hint });
  return undefined;
}

/** `EACCES`… of an error thrown by a system call (it carries `syscall`). */
export function systemCode(error: unknown): string | undefined {
  if (!(error instanceof Error) || !('syscall' in error)) return undefined;
  const code = (error as NodeJS.ErrnoException).code;
  return typeof code === 'string' ? code : undefined;
}

/** `borealis: CODE: message` and `hint: …`, each exactly one line. */
export function formatOperatorError(error: BorealisError): string {
  const hint = error.hint ? `hint: ${oneLine(error.hint)}\n` : '';
  return `borealis: ${error.code}: ${oneLine(error.message)}\n${hint}`;
}

/** A bug: the stack, so that it can be reported. */
export function formatInternalError(error: unknown): string {
  return `borealis: internal error (please report it): ${stackOf(error)}\n`;
}

/** With BOREALIS_DEBUG=1, every error's stack and those of its causes. */
export function formatDebugStack(error: unknown): string {
  const lines = [stackOf(error)];
  for (let cause = causeOf(error); cause !== undefined; cause = causeOf(cause))
    lines.push(`caused by: ${stackOf(cause)}`);
  return `${lines.join('\n')}\n`;
}

function causeOf(error: unknown): unknown {
  return error instanceof Error ? error.cause : undefined;
}

function stackOf(error: unknown): string {
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}

function oneLine(text: string): string {
  return text.trim().replace(/\s*\n\s*/g, ' ');
}
