/**
 * Starts one run of a process: `bash -c` in a new process group (so the whole tree can be
 * signalled at once), stdout and stderr appended to the process's single log file.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { constants } from 'node:os';

export interface ProcessSpec {
  cmdline: string;
  cwd: string;
  env: NodeJS.ProcessEnv;
  logPath: string;
}

export interface StartedProcess {
  /** Also the process group id. Undefined when the spawn itself failed. */
  pid: number | undefined;
  /** Exit status in shell convention: the code, or 128 + signal number. */
  exit: Promise<number>;
}

const SPAWN_FAILED = 127;

export function exitStatus(code: number | null, signal: NodeJS.Signals | null): number {
  if (code !== null) return code;
  const number = signal === null ? undefined : constants.signals[signal];
  return number === undefined ? 128 : 128 + number;
}

export function startProcess(spec: ProcessSpec): StartedProcess {
  const log = openSync(spec.logPath, 'a');
  try {
    const child = spawn('bash', ['-c', spec.cmdline], {
      cwd: spec.cwd,
      env: spec.env,
      detached: true,
      stdio: ['ignore', log, log],
    });
    const exit = new Promise<number>((resolve) => {
      child.once('error', () => resolve(SPAWN_FAILED));
      child.once('exit', (code, signal) => resolve(exitStatus(code, signal)));
    });
    return { pid: child.pid, exit };
  } finally {
    closeSync(log);
  }
}
