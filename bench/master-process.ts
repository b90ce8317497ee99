/**
 * A test Mesos master in a process of its own, so the benchmark's CPU figure is the
 * reconciler's alone: `node master-process.js <agents>` prints `{"url": …}` on its first
 * line, and on its stdin closing prints `{"cpuMs": …}` (its own CPU time) and exits.
 */
import { agents, MesosMaster } from '../test/support/mesos-master/index.js';

const count = Number(process.argv[2] ?? 1000);
const master = await MesosMaster.start({
  agents: agents(count, { cpus: 16, mem: 65536, disk: 102400, ports: [31000, 32000] }),
  heartbeatSeconds: 5,
  updateRetryMs: 10_000,
  allocationIntervalMs: 50,
});
process.stdout.write(`${JSON.stringify({ url: master.url })}\n`);
process.stdin.resume();
process.stdin.once('end', () => {
  const cpu = process.cpuUsage();
  process.stdout.write(`${JSON.stringify({ cpuMs: (cpu.user + cpu.system) / 1000 })}\n`);
  void master.close().then(() => process.exit(0));
});
