/**
 * `npm run bench`: Borealis's speed targets, each measured in the same run as its floor.
 * Prints one table; exits 1 if any target is missed. Not part of the test suite.
 */
import { commitToFirstLaunch } from './commit-to-launch.js';
import { mesosPlacement } from './mesos-placement.js';
import { passed, renderTable, type Row } from './table.js';

async function main(): Promise<number> {
  const rows: Row[] = [];
  const latency = await commitToFirstLaunch(20);
  rows.push({
    name: 'commit → first launch, watch, median of 20',
    value: latency.median,
    unit: 'ms',
    target: 1000,
  });
  rows.push({ name: 'commit → first launch, watch, p95 of 20', value: latency.p95, unit: 'ms' });
  const mesos = await mesosPlacement(10_000, 1_000);
  rows.push({
    name: 'Mesos: 10,000 instances on 1,000 agents → all RUNNING (wall)',
    value: mesos.wallMs / 1000,
    unit: 's',
  });
  rows.push({ name: 'Mesos: same, reconciler CPU', value: mesos.cpuMs / 1000, unit: 's' });
  rows.push({
    name: 'Mesos: same, test master CPU (its own process)',
    value: mesos.masterCpuMs / 1000,
    unit: 's',
  });
  process.stdout.write(`${renderTable(rows)}\n`);
  const missed = rows.filter((row) => !passed(row));
  if (missed.length > 0) process.stdout.write(`missed: ${missed.map((row) => row.name).join('; ')}\n`);
  return missed.length > 0 ? 1 : 0;
}

process.exitCode = await main();
