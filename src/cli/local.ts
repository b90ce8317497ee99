/** `borealis local down`: stop every task of the local cluster (the records are kept). */
import type { Command } from 'commander';
import type { Io } from './io.js';
import { isTerminal } from '../cluster/types.js';
import { KILL_WAIT_MS } from '../cluster/local/task-markers.js';
import { waitUntilEnded } from '../deploy/wait.js';
import { openLocalCluster } from './compose/cluster-choice.js';
import { globalOptions } from './global-options.js';

function tasks(count: number): string {
  return `${count} task${count === 1 ? '' : 's'}`;
}

/** `Stopped 2 tasks.`, naming apart those found only by their processes. */
export function stoppedSummary(stopped: number, orphans: number): string {
  if (orphans === 0) return `Stopped ${tasks(stopped)}.`;
  const damaged = 'whose sandboxes were missing or damaged';
  if (stopped === 0) return `Stopped ${tasks(orphans)} ${damaged}.`;
  return `Stopped ${tasks(stopped)}, and ${orphans} ${damaged}.`;
}

export function registerLocal(program: Command, io: Io): void {
  const local = program.command('local').description('the embedded local cluster');
  local
    .command('down')
    .description('kill every task of the local cluster and wait until they have ended')
    .action(async (_options: unknown, command: Command) => {
      const cluster = await openLocalCluster(globalOptions(command));
      try {
        // Processes whose sandbox is gone or unreadable (found by their marker) die first.
        const orphans = await cluster.stopOrphans();
        const live = (await cluster.snapshot()).filter((task) => !isTerminal(task.state));
        const stopping = new Set(live.map((task) => task.taskId));
        await cluster.kill([...stopping]);
        // Only the tasks it killed: a running daemon relaunches instances at once, and
        // waiting for "no task alive" would then never end.
        await waitUntilEnded(cluster, (task) => stopping.has(task.taskId), 1_000);
        // A supervisor exits just after it reports the final state.
        await cluster.waitForProcessesGone([...stopping], Date.now() + KILL_WAIT_MS);
        io.stdout.write(`${stoppedSummary(live.length, orphans)}\n`);
      } finally {
        await cluster.close();
      }
    });
}
