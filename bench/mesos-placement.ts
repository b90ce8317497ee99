/**
 * Mesos placement end to end: N instances launched through MesosCluster onto the test
 * master's simulated agents; wall time from the launch call to every task RUNNING, the
 * CPU time of this process (the reconciler: the test master runs in a process of its own,
 * `master-process.ts`) and of the master.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { MesosCluster } from '../src/cluster/mesos/cluster.js';
import type { TaskLaunch } from '../src/cluster/types.js';

import { FileStateStore } from '../src/state/file/file-store.js';
import { spec } from '../test/support/specs.js';
import { benchLaunch, startMaster } from './test-master.js';

export interface PlacementResult {
  wallMs: number;
  /** CPU time of the reconciler. */
  cpuMs: number;
  /** CPU time of the test master, for comparison. */
  masterCpuMs: number;
}

export async function mesosPlacement(instances: number, agentCount: number): Promise<PlacementResult> {
  const master = startMaster([String(agentCount)]);
  const url = ((await master.next()) as { url: string }).url;
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
    Array.from({ length: 10 }, (_, instance) => benchLaunch(job, instance)),
  );
  const cluster = new MesosCluster({
    masters: [url],
    framework: { user: 'bench', roles: ['prod'] },
    store,
  });
  let measured: Omit<PlacementResult, 'masterCpuMs'>;
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
    measured = { wallMs, cpuMs: (cpu.user + cpu.system) / 1000 };
  } finally {
    await cluster.close();
    master.end();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
  const { cpuMs: masterCpuMs } = (await master.next()) as { cpuMs: number };
  return { ...measured, masterCpuMs };
}
