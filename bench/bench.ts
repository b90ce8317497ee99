/**
 * `npm run bench`: Borealis's speed targets, each measured in the same run as its floor.
 * Prints one table; exits 1 if any target is missed. Not part of the test suite.
 *
 * `npm run bench -- <section> ...` runs only the sections named: plan, scale, launch,
 * mesos, store.
 */
import { commitToFirstLaunch } from './commit-to-launch.js';
import { mesosPlacement } from './mesos-placement.js';
import { planAtScale, type PlanScale, type ProcessFigures } from './plan-scale.js';
import { fileStoreThroughput, zooKeeperThroughput } from './state-store.js';
import { passed, renderTable, type Row } from './table.js';

const SECTIONS: Record<string, () => Promise<Row[]>> = {
  plan: fullPlan,
  scale: scaleCurve,
  launch: commitToLaunch,
  mesos: placement,
  store: stateStore,
};

async function fullPlan(): Promise<Row[]> {
  const run = await planAtScale(10_000, { watch: true });
  const size = `${run.jobs.toLocaleString('en')} jobs`;
  const floor = run.floor.wallMs / 1000;
  const rows: Row[] = [
    { name: `floor: cat-file + yaml parse, ${size} (wall)`, value: floor, unit: 's' },
    { name: 'floor: same, peak RSS', value: run.floor.rssMb, unit: 'MB' },
    ...planRows(`cold plan, ${size}, in the CLI, leader view`, run.leaderCold!, floor, 1.5),
    ...planRows(`warm plan, ${size}, in the CLI, leader view`, run.leaderWarm!, floor),
    ...planRows(`warm plan, ${size}, planned by the leader`, run.leader!, floor),
    ...planRows(`cold plan, ${size}, no daemon (operator API)`, run.cold, floor),
    ...planRows(`warm plan, ${size}, no daemon (operator API)`, run.warm, floor),
    {
      name: `incremental plan in watch: 1 of ${size} changed, ref → plan ready (median of 3)`,
      value: run.incrementalMs!,
      unit: 'ms',
      target: 100,
    },
  ];
  // The warm plan's target is absolute (a blink), not a ratio.
  rows.find((row) => row.name === `warm plan, ${size}, planned by the leader (wall)`)!.target = 1;
  return rows;
}

function planRows(name: string, figures: ProcessFigures, floor: number, ratio?: number): Row[] {
  return [
    {
      name: `${name} (wall)`,
      value: figures.wallMs / 1000,
      unit: 's',
      floor,
      ...(ratio ? { target: ratio, targetIsRatio: true } : {}),
    },
    { name: `${name} (CPU)`, value: figures.cpuMs / 1000, unit: 's' },
    { name: `${name} (peak RSS)`, value: figures.rssMb, unit: 'MB', target: 400 },
  ];
}

async function scaleCurve(): Promise<Row[]> {
  const runs: PlanScale[] = [];
  for (const jobs of [1_000, 10_000, 50_000]) runs.push(await planAtScale(jobs));
  const perJob = (run: PlanScale) => run.warm.wallMs / run.jobs;
  const rows: Row[] = runs.map((run) => ({
    name: `warm plan per job, ${run.jobs.toLocaleString('en')} jobs (operator API)`,
    value: perJob(run),
    unit: 'ms',
    floor: run.floor.wallMs / run.jobs,
  }));
  rows.push({
    name: 'warm plan per job: 50,000 jobs ÷ 1,000 jobs',
    value: perJob(runs[2]!) / perJob(runs[0]!),
    unit: '×',
    target: 1.5,
  });
  return rows;
}

async function commitToLaunch(): Promise<Row[]> {
  const latency = await commitToFirstLaunch(20);
  return [
    { name: 'commit → first launch, watch, median of 20', value: latency.median, unit: 'ms', target: 1000 },
    { name: 'commit → first launch, watch, p95 of 20', value: latency.p95, unit: 'ms' },
  ];
}

async function placement(): Promise<Row[]> {
  const mesos = await mesosPlacement(10_000, 1_000);
  return [
    {
      name: 'Mesos: 10,000 instances on 1,000 agents → all RUNNING (wall)',
      value: mesos.wallMs / 1000,
      unit: 's',
    },
    { name: 'Mesos: same, reconciler CPU', value: mesos.cpuMs / 1000, unit: 's' },
    { name: 'Mesos: same, test master CPU (its own process)', value: mesos.masterCpuMs / 1000, unit: 's' },
  ];
}

async function stateStore(): Promise<Row[]> {
  const file = await fileStoreThroughput(500);
  const zk = await zooKeeperThroughput(500);
  return [
    {
      name: 'deployment records/s, file store (log full at 1,000)',
      value: file.perSecond,
      unit: '/s',
      floor: file.floorPerSecond,
    },
    {
      name: 'deployment records/s, ZooKeeper (log full at 1,000)',
      value: zk.perSecond,
      unit: '/s',
      floor: zk.floorPerSecond,
    },
  ];
}

async function main(names: string[]): Promise<number> {
  const unknown = names.filter((name) => !(name in SECTIONS));
  if (unknown.length > 0) {
    process.stderr.write(
      `unknown section(s) ${unknown.join(', ')}; known: ${Object.keys(SECTIONS).join(', ')}\n`,
    );
    return 2;
  }
  const rows: Row[] = [];
  for (const name of names.length > 0 ? names : Object.keys(SECTIONS)) {
    process.stderr.write(`bench: ${name}…\n`);
    rows.push(...(await SECTIONS[name]!()));
  }
  process.stdout.write(`${renderTable(rows)}\n`);
  const missed = rows.filter((row) => !passed(row));
  if (missed.length > 0) process.stdout.write(`missed: ${missed.map((row) => row.name).join('; ')}\n`);
  return missed.length > 0 ? 1 : 0;
}

process.exitCode = await main(process.argv.slice(2));
