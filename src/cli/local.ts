/** `borealis local down`: stop every task of the local cluster (the records are kept). */
import type { Command } from 'commander';
import type { Io } from './io.js';
import { isTerminal } from '../cluster/types.js';
import { waitUntilEnded } from '../deploy/wait.js';
import { openLocalCluster } from './context.js';
import { globalOptions } from './global-options.js';

export function registerLocal(program: Command, io: Io): void {
  const local = program.command('local').description('the embedded local cluster');
  local
    .command('down')
    .description('kill every task of the local cluster and wait until they have ended')
    .action(async (_options: unknown, command: Command) => {
      const cluster = await openLocalCluster(globalOptions(command));
      try {
        const live = (await cluster.snapshot()).filter((task) => !isTerminal(task.state));
        const stopping = new Set(live.map((task) => task.taskId));
        await cluster.kill([...stopping]);
        // Only the tasks it killed: a running daemon relaunches instances at once, and
        // waiting for "no task alive" would then never end.
        await waitUntilEnded(cluster, (task) => stopping.has(task.taskId), 1_000);
        io.stdout.write(`Stopped ${live.length} task${live.length === 1 ? '' : 's'}.\n`);
      } finally {
        await cluster.close();
      }
    });
}
