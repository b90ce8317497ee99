/**
 * A test Mesos master in a process of its own, so a benchmark's CPU figures are the
 * reconciler's alone: `node master-process.js <agents> [<repo> <framework id>]` prints
 * `{"url": …}` on its first line, and on its stdin closing prints `{"cpuMs": …}` (its own
 * CPU time) and exits. With a repository, the master starts converged: a framework that
 * runs every instance of every job of the repository's head, with the TaskInfos Borealis
 * itself builds for them.
 */
import type { MesosResource } from '../src/cluster/mesos/offer.js';
import { taskInfo } from '../src/cluster/mesos/task-info.js';

import { GitTree } from '../src/source/git-tree.js';
import { loadRepository } from '../src/jobspec/load.js';
import { join } from 'node:path';
import type { TaskLaunch } from '../src/cluster/types.js';
import { launchRecord, TaskRecords } from '../src/cluster/mesos/task-records.js';
import { FileStateStore } from '../src/state/file/file-store.js';
import { agents, MesosMaster } from '../test/support/mesos-master/index.js';
import { benchLaunch } from './test-master.js';

const [count = '1000', repo, frameworkId, stateDir] = process.argv.slice(2);
const master = await MesosMaster.start({
  agents: agents(Number(count), { cpus: 64, mem: 65536, disk: 1_048_576, ports: [31000, 32999] }),
  heartbeatSeconds: 5,
  updateRetryMs: 10_000,
  allocationIntervalMs: 50,
});
if (repo && frameworkId) {
  const running = await converge(master, repo, frameworkId);
  if (stateDir) await remember(stateDir, running);
}
process.stdout.write(`${JSON.stringify({ url: master.url })}\n`);
process.stdin.resume();
process.stdin.once('end', () => {
  const cpu = process.cpuUsage();
  process.stdout.write(`${JSON.stringify({ cpuMs: (cpu.user + cpu.system) / 1000 })}\n`);
  void master.close().then(() => process.exit(0));
});

interface Placed {
  launch: TaskLaunch;
  agentId: string;
  hostname: string;
  port: number;
}

/** Every instance of every job RUNNING, spread round-robin over the agents, one port each. */
async function converge(target: MesosMaster, dir: string, id: string): Promise<Placed[]> {
  const tree = new GitTree({ repo: dir, ref: 'HEAD', path: '' });
  const { jobs } = await loadRepository(tree).finally(() => tree.close());
  const agentIds = target.agentIds();
  let slot = 0;
  const placed = jobs.flatMap((job) =>
    Array.from({ length: job.config.instances }, (_, instance): Placed => {
      const agent = slot % agentIds.length;
      const port = 31000 + Math.floor(slot / agentIds.length);
      slot++;
      return {
        launch: benchLaunch(job, instance),
        agentId: agentIds[agent]!,
        hostname: `agent${agent}.test`,
        port,
      };
    }),
  );
  target.preload(
    { id, user: 'www-data', roles: ['prod'] },
    placed.map((task) => infoOf(task)),
  );
  return placed;
}

/** The driver's records of those tasks, as if this framework had launched them: a restarted watch adopts them. */
async function remember(dir: string, placed: readonly Placed[]): Promise<void> {
  const store = await FileStateStore.open(join(dir, 'store'));
  const records = new TaskRecords(store, () => {});
  await records.saveLaunching(
    placed.map(({ launch, agentId, hostname, port }) => ({
      ...launchRecord(launch, 0),
      agentId,
      hostname,
      ports: { http: port },
    })),
  );
  await store.close();
}

function infoOf({ launch, agentId, hostname, port }: Placed) {
  const { cpu, ram, disk } = launch.config.task.resources;
  const allocated = { role: '*', allocation_info: { role: 'prod' } };
  const scalar = (name: string, value: number): MesosResource => ({
    name,
    type: 'SCALAR',
    scalar: { value },
    ...allocated,
  });
  const resources: MesosResource[] = [
    scalar('cpus', cpu),
    scalar('mem', ram),
    scalar('disk', disk),
    { name: 'ports', type: 'RANGES', ranges: { range: [{ begin: port, end: port }] }, ...allocated },
  ];
  return taskInfo(launch, { agentId, hostname, resources, ports: { http: port } });
}
