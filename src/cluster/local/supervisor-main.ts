/** Entry point of the detached supervisor process: `node supervisor-main.js <sandbox dir>`. */
import { emergencyStop, runSupervisor } from './supervisor-boot.js';

const sandboxDir = process.argv[2];

function fail(error: unknown): never {
  if (sandboxDir !== undefined) emergencyStop(sandboxDir, error);
  process.exit(1);
}

if (sandboxDir === undefined) {
  process.stderr.write('usage: supervisor-main.js <sandbox dir>\n');
  process.exit(2);
}

process.on('uncaughtException', fail);
runSupervisor(sandboxDir).then((code) => process.exit(code), fail);
