/** Entry point of the detached supervisor process: `node supervisor-main.js <sandbox dir>`. */
import { closeSync, openSync } from 'node:fs';
import { resolve } from 'node:path';
import { sandboxPaths } from './sandbox-layout.js';
import { emergencyStop, runSupervisor } from './supervisor-boot.js';

const sandboxDir = process.argv[2];

let failing = false;

function fail(error: unknown): void {
  if (failing) return;
  failing = true;
  const stop = sandboxDir === undefined ? Promise.resolve() : emergencyStop(sandboxDir, error);
  stop.catch(() => undefined).finally(() => process.exit(1));
}

if (sandboxDir === undefined) {
  process.stderr.write('usage: supervisor-main.js <sandbox dir>\n');
  process.exit(2);
}

/** Exactly one supervisor per sandbox: a launch completed after a crash may start a second one. */
function claimSandbox(dir: string): boolean {
  try {
    closeSync(openSync(sandboxPaths(resolve(dir)).claim, 'wx'));
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

if (!claimSandbox(sandboxDir)) process.exit(0);
process.on('uncaughtException', fail);
runSupervisor(sandboxDir).then(() => process.exit(0), fail);
