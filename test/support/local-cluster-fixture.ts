/**
 * A LocalCluster on a fresh temporary root, with an update recorder, and a cleanup that kills
 * every task it can find there, checks nothing of them survives, and removes the root.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalCluster, type LocalClusterOptions } from '../../src/cluster/local/cluster.js';
import { isTerminal, type TaskLaunch, type TaskStatusUpdate } from '../../src/cluster/types.js';
import { killProcessesMentioning } from './process-table.js';
import { UpdateRecorder } from './waiting.js';

export interface LocalClusterFixture {
  root: string;
  cluster: LocalCluster;
  events: UpdateRecorder;
  /** Launches and waits for the given state (RUNNING by default). */
  start(launch: TaskLaunch, state?: TaskStatusUpdate['task']['state']): Promise<TaskStatusUpdate>;
  /** Another LocalCluster on the same root, closed by cleanup. */
  reopen(): { cluster: LocalCluster; events: UpdateRecorder };
  cleanup(): Promise<void>;
}

export async function localClusterFixture(
  options: Omit<LocalClusterOptions, 'root'> = {},
): Promise<LocalClusterFixture> {
  const root = await mkdtemp(join(tmpdir(), 'borealis-local-'));
  const opened: LocalCluster[] = [];
  const open = (): { cluster: LocalCluster; events: UpdateRecorder } => {
    const cluster = new LocalCluster({ root, hostname: 'test-host', ...options });
    opened.push(cluster);
    return { cluster, events: new UpdateRecorder(cluster) };
  };
  const { cluster, events } = open();
  return {
    root,
    cluster,
    events,
    async start(launch, state = 'RUNNING') {
      await cluster.launch([launch]);
      return events.waitFor(launch.taskId, state);
    },
    reopen: open,
    cleanup: () => cleanup(root, opened),
  };
}

async function cleanup(root: string, opened: LocalCluster[]): Promise<void> {
  const reaper = new LocalCluster({ root });
  const recorder = new UpdateRecorder(reaper);
  try {
    const live = (await reaper.snapshot()).filter((task) => !isTerminal(task.state));
    await reaper.kill(live.map((task) => task.taskId));
    await Promise.all(
      live.map((task) =>
        recorder.waitForUpdate(
          (update) => update.task.taskId === task.taskId && isTerminal(update.task.state),
          10_000,
          `cleanup of ${task.taskId}`,
        ),
      ),
    );
  } finally {
    recorder.stop();
    await Promise.all([reaper, ...opened].map((cluster) => cluster.close()));
    // Belt and braces: a failing test must not leave processes running on the machine.
    for (const entry of await readdir(root).catch(() => [])) killProcessesMentioning(join(root, entry));
    await rm(root, { recursive: true, force: true });
  }
}
