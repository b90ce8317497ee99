/**
 * Mesos placement end to end: N instances launched through MesosCluster onto the test
 * master's simulated agents; wall time from the launch call to every task RUNNING, and the
 * CPU time this process spent (reconciler and test master share it, so it is an upper
 * bound for the reconciler).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MesosCluster } from '../src/cluster/mesos/cluster.js';
import type { TaskLaunch } from '../src/cluster/types.js';
import { newTaskId } from '../src/deploy/task-ids.js';
import { FileStateStore } from '../src/state/file/file-store.js';
import { agents, MesosMaster } from '../test/support/mesos-master/index.js';
import { spec } from '../test/support/specs.js';

export async function mesosPlacement(
  instances: number,
  agentCount: number,
): Promise<{ wallMs: number; cpuMs: number }> {
  const master = await MesosMaster.start({
    agents: agents(agentCount, { cpus: 16, mem: 65536, disk: 102400, ports: [31000, 32000] }),
    heartbeatSeconds: 5,
    updateRetryMs: 10_000,
    allocationIntervalMs: 50,
  });
  const dir = mkdtempSync(join(tmpdir(), 'borealis-bench-mesos-'));
  const store = await FileStateStore.open(dir);
  const jobs = Array.from({ length: instances / 10 }, (_, j) =>
    spec({
      name: `job${j}`,
      instances: 10,
      service: true,
      task: {
        processes: [{ name: 'p', cmdline: 'run {{thermos.ports[http]}}' }],
        resources: { cpu: 0.1, ram: '64MiB', disk: '64MiB', ports: ['http'] },
      },
    }),
  );
  const launches: TaskLaunch[] = jobs.flatMap((job) =>
    Array.from({ length: 10 }, (_, instance) => ({
      taskId: newTaskId(job.key, instance),
      jobId: job.id,
      key: job.key,
      instance,
      configHash: job.configHash,
      commit: 'bench',
      config: job.instance,
    })),
  );
  const cluster = new MesosCluster({
    masters: [master.url],
    framework: { user: 'bench', roles: ['prod'] },
    store,
  });
  try {
    await cluster.start();
    let running = 0;
    const allRunning = new Promise<void>((resolve) =>
      cluster.subscribe(({ task }) => {
        if (task.state === 'RUNNING' && ++running === launches.length) resolve();
      }),
    );
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    await cluster.launch(launches);
    await allRunning;
    const wallMs = performance.now() - started;
    const cpu = process.cpuUsage(cpuBefore);
    return { wallMs, cpuMs: (cpu.user + cpu.system) / 1000 };
  } finally {
    await cluster.close();
    await master.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
