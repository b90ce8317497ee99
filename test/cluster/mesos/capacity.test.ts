/**
 * Whether a plan's launches fit a Mesos cluster, decided from GET_AGENTS / GET_TASKS as the
 * operator API reports them (built here in those JSON shapes and read by the same views).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  placementProblems,
  splitOperatorTasks,
  subtractRanges,
  type CapacityInput,
} from '../../../src/cluster/mesos/capacity.js';
import { agentView, taskView } from '../../../src/cluster/mesos/operator-views.js';
import type { OperatorAgent, OperatorTask } from '../../../src/cluster/mesos/operator-types.js';
import { LABELS } from '../../../src/cluster/mesos/task-info.js';
import type { PlannedLaunch } from '../../../src/cluster/types.js';
import { spec } from '../../support/specs.js';

const FRAMEWORK = 'fw-borealis';
const scalar = (name: string, value: number) => ({ name, type: 'SCALAR', role: '*', scalar: { value } });
const ports = (begin: number, end: number) => ({
  name: 'ports',
  type: 'RANGES',
  role: '*',
  ranges: { range: [{ begin, end }] },
});

interface AgentFields {
  cpus?: number;
  usedCpus?: number;
  usedPorts?: [number, number];
  rack?: string;
  active?: boolean;
}

function agent(host: string, fields: AgentFields = {}): OperatorAgent {
  const { cpus = 4, usedCpus = 0, usedPorts, rack, active = true } = fields;
  return agentView({
    active,
    agent_info: {
      hostname: host,
      id: { value: `agent-${host}` },
      attributes: rack ? [{ name: 'rack', type: 'TEXT', text: { value: rack } }] : [],
    },
    total_resources: [scalar('cpus', cpus), scalar('mem', 4096), scalar('disk', 4096), ports(31000, 31009)],
    allocated_resources: [scalar('cpus', usedCpus), ...(usedPorts ? [ports(...usedPorts)] : [])],
  });
}

function task(
  id: string,
  host: string,
  job: string,
  fields: { cpus?: number; framework?: string } = {},
): OperatorTask {
  return taskView({
    task_id: { value: id },
    framework_id: { value: fields.framework ?? FRAMEWORK },
    agent_id: { value: `agent-${host}` },
    name: id,
    state: 'TASK_RUNNING',
    labels: {
      labels: [
        { key: LABELS.job, value: job },
        { key: LABELS.instance, value: '0' },
      ],
    },
    resources: [scalar('cpus', fields.cpus ?? 1)],
  });
}

const web = (constraints: Record<string, string> = {}, cpu = 1) =>
  spec({
    name: 'web',
    instances: 4,
    constraints,
    task: {
      processes: [{ name: 'p', cmdline: 'serve {{thermos.ports[http]}}' }],
      resources: { cpu, ram: '64MiB', disk: '64MiB', ports: ['http'] },
    },
  });

const launches = (job: ReturnType<typeof web>, instances: number[]): PlannedLaunch[] =>
  instances.map((instance) => ({ jobId: job.id, instance, config: job.instance }));

interface Case {
  name: string;
  input: Pick<CapacityInput, 'launches' | 'agents'> & { tasks: OperatorTask[]; released?: string[] };
  /** Expected unplaced instances per job, and a pattern each job's reasons must match. */
  unplaced: Record<string, { instances: number[]; reason?: RegExp }>;
}

const job = web();
const oneHost = web({ host: 'limit:1' });
const perRack = web({ rack: 'limit:1' });
const big = web({}, 3);

const CASES: Case[] = [
  {
    name: 'fits-in-free-resources',
    input: { launches: launches(job, [0, 1, 2, 3]), agents: [agent('a'), agent('b')], tasks: [] },
    unplaced: {},
  },
  {
    name: 'too-little-cpu-left-on-every-agent',
    input: {
      launches: launches(big, [0, 1, 2]),
      agents: [agent('a', { usedCpus: 2 }), agent('b', { usedCpus: 2 })],
      tasks: [],
    },
    unplaced: { [big.id]: { instances: [0, 1, 2], reason: /insufficient cpu/ } },
  },
  {
    name: 'killed-tasks-free-their-resources',
    input: {
      launches: launches(big, [0]),
      agents: [agent('a', { usedCpus: 2 })],
      tasks: [task('old-web-0', 'a', 'other/job', { cpus: 2 })],
      released: ['old-web-0'],
    },
    unplaced: {},
  },
  {
    name: 'limit-1-per-host-counts-running-instances',
    input: {
      launches: launches(oneHost, [1, 2]),
      agents: [agent('a'), agent('b')],
      tasks: [task('web-0', 'a', oneHost.id)],
    },
    unplaced: { [oneHost.id]: { instances: [2], reason: /limit/ } },
  },
  {
    name: 'a-replaced-instance-no-longer-counts-for-its-limit',
    input: {
      launches: launches(oneHost, [0, 1]),
      agents: [agent('a'), agent('b')],
      tasks: [task('web-0', 'a', oneHost.id)],
      released: ['web-0'],
    },
    unplaced: {},
  },
  {
    name: 'limit-per-rack-with-two-racks',
    input: {
      launches: launches(perRack, [0, 1, 2]),
      agents: [agent('a', { rack: 'r1' }), agent('b', { rack: 'r1' }), agent('c', { rack: 'r2' })],
      tasks: [],
    },
    unplaced: { [perRack.id]: { instances: [2] } },
  },
  {
    name: 'other-frameworks-tasks-do-not-count-for-limits',
    input: {
      launches: launches(oneHost, [0, 1]),
      agents: [agent('a'), agent('b')],
      tasks: [task('theirs', 'a', oneHost.id, { framework: 'someone-else' })],
    },
    unplaced: {},
  },
  {
    name: 'inactive-agents-offer-nothing',
    input: { launches: launches(job, [0]), agents: [agent('a', { active: false })], tasks: [] },
    unplaced: { [job.id]: { instances: [0] } },
  },
  {
    name: 'no-ports-left',
    input: { launches: launches(job, [0]), agents: [agent('a', { usedPorts: [31000, 31009] })], tasks: [] },
    unplaced: { [job.id]: { instances: [0], reason: /ports/ } },
  },
];

describe('placementProblems', () => {
  for (const testCase of CASES) {
    it(testCase.name, () => {
      const { launches, agents, tasks, released = [] } = testCase.input;
      const problems = placementProblems({
        launches,
        agents,
        ...splitOperatorTasks(tasks, FRAMEWORK, new Set(released)),
      });
      assert.deepEqual(
        Object.fromEntries(problems.map((p) => [p.jobId, p.instances])),
        Object.fromEntries(Object.entries(testCase.unplaced).map(([id, u]) => [id, u.instances])),
      );
      for (const [id, { reason }] of Object.entries(testCase.unplaced)) {
        if (reason) assert.match(problems.find((p) => p.jobId === id)!.reasons.join('; '), reason);
      }
    });
  }
});

describe('subtractRanges', () => {
  const cases: [string, [number, number][], [number, number][], [number, number][]][] = [
    ['nothing used', [[1, 10]], [], [[1, 10]]],
    [
      'a hole in the middle',
      [[1, 10]],
      [[4, 5]],
      [
        [1, 3],
        [6, 10],
      ],
    ],
    [
      'both ends',
      [[1, 10]],
      [
        [1, 2],
        [9, 10],
      ],
      [[3, 8]],
    ],
    ['everything', [[1, 10]], [[1, 10]], []],
    ['outside', [[1, 10]], [[20, 30]], [[1, 10]]],
    [
      'across two ranges',
      [
        [1, 5],
        [10, 15],
      ],
      [[4, 11]],
      [
        [1, 3],
        [12, 15],
      ],
    ],
  ];
  for (const [name, ranges, used, expected] of cases) {
    it(name, () => {
      const pairs = (list: [number, number][]) => list.map(([begin, end]) => ({ begin, end }));
      assert.deepEqual(subtractRanges(pairs(ranges), pairs(used)), pairs(expected));
    });
  }

  it('frees exactly the ports of the ranges that no used range covers, in any order and overlap', () => {
    const range = fc
      .tuple(fc.integer({ min: 0, max: 60 }), fc.integer({ min: 0, max: 8 }))
      .map(([begin, length]) => ({ begin, end: begin + length }));
    const freeRanges = fc
      .uniqueArray(fc.integer({ min: 0, max: 12 }), { maxLength: 6 })
      .map((starts) =>
        starts.sort((a, b) => a - b).map((start) => ({ begin: start * 5, end: start * 5 + 3 })),
      );
    fc.assert(
      fc.property(freeRanges, fc.array(range, { maxLength: 8 }), (ranges, used) => {
        const ports = (list: readonly { begin: number; end: number }[]) =>
          list.flatMap(({ begin, end }) => Array.from({ length: end - begin + 1 }, (_, i) => begin + i));
        const taken = new Set(ports(used));
        const result = subtractRanges(ranges, used);
        assert.deepEqual(
          ports(result),
          ports(ranges).filter((port) => !taken.has(port)),
          'the free ports',
        );
        for (let i = 1; i < result.length; i++)
          assert.ok(result[i]!.begin > result[i - 1]!.end, 'ascending and not overlapping');
      }),
      { numRuns: 500 },
    );
  });
});
