/**
 * `observedTasks`, table-tested: operator API `Task` JSON (as GET_TASKS writes it, read
 * through `taskView`) in, the Cluster port's ObservedTask out.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ObservedTask } from '../../../src/cluster/types.js';
import { observedTasks } from '../../../src/cluster/mesos/observed.js';
import type { MesosJsonObject, OperatorAgent } from '../../../src/cluster/mesos/operator-types.js';
import { agentView, taskView } from '../../../src/cluster/mesos/operator-views.js';

type Json = Record<string, unknown>;

/** Fields set to `undefined` stand for fields Mesos left out. */
const view = (task: Json) => taskView(JSON.parse(JSON.stringify(task)) as MesosJsonObject);

const FRAMEWORK = 'fw-borealis';
const AGENT = 'agent-1';
const LAUNCHED = 1_700_000_000.25;
const NOW = 1_800_000_000_000;

const borealisLabels = (instance = '3'): Json => ({
  labels: [
    { key: 'borealis.job', value: 'prod/www/web' },
    { key: 'borealis.instance', value: instance },
    { key: 'borealis.config', value: 'cfg-1' },
    { key: 'borealis.commit', value: 'abc123' },
  ],
});

const status = (state: string, timestamp: number, extra: Json = {}): Json => ({
  task_id: { value: 't1' },
  state,
  source: 'SOURCE_EXECUTOR',
  timestamp,
  ...extra,
});

/** A task as GET_TASKS writes it: launched at LAUNCHED, RUNNING ten seconds later. */
function mesosTask(extra: Json = {}): Json {
  return {
    agent_id: { value: AGENT },
    discovery: {
      visibility: 'FRAMEWORK',
      ports: {
        ports: [
          { number: 31001, name: 'http', protocol: 'tcp' },
          { number: 31002, name: 'admin', protocol: 'tcp' },
        ],
      },
    },
    framework_id: { value: FRAMEWORK },
    labels: borealisLabels(),
    name: 'prod.www.web.3',
    state: 'TASK_RUNNING',
    statuses: [status('TASK_STARTING', LAUNCHED), status('TASK_RUNNING', LAUNCHED + 10)],
    task_id: { value: 't1' },
    ...extra,
  };
}

const HEALTH_CHECK: Json = { type: 'COMMAND', command: { shell: true, value: 'true' } };

const agents: OperatorAgent[] = [
  agentView({
    active: true,
    agent_info: { hostname: 'host1.example', id: { value: AGENT } },
    version: '1.11.0',
  }),
];

const BASE: ObservedTask = {
  taskId: 't1',
  jobId: 'prod/www/web',
  instance: 3,
  configHash: 'cfg-1',
  commit: 'abc123',
  state: 'RUNNING',
  launchedAt: 1_700_000_000_250,
  updatedAt: 1_700_000_010_250,
  host: 'host1.example',
  ports: { http: 31001, admin: 31002 },
};

interface Row {
  what: string;
  task: Json;
  /** The fields that differ from BASE, or `undefined` when the task is not Borealis's. */
  expected: Partial<ObservedTask> | undefined;
}

const running = (extra: Json = {}) => status('TASK_RUNNING', LAUNCHED + 10, extra);

const ROWS: Row[] = [
  { what: 'a running task without health check', task: mesosTask(), expected: {} },
  {
    what: 'a cron run’s task: its run label',
    task: mesosTask({
      labels: {
        labels: [
          ...(borealisLabels().labels as Json[]),
          { key: 'borealis.cron_run', value: 'schedule-20261208T0100Z' },
        ],
      },
    }),
    expected: { cronRun: 'schedule-20261208T0100Z' },
  },
  {
    what: 'a task of another framework',
    task: mesosTask({ framework_id: { value: 'someone-else' } }),
    expected: undefined,
  },
  {
    what: 'a task without Borealis labels',
    task: mesosTask({ labels: { labels: [] } }),
    expected: undefined,
  },
  {
    what: 'a task whose instance label is no number',
    task: mesosTask({ labels: borealisLabels('x') }),
    expected: undefined,
  },
  {
    what: 'health-checked, RUNNING, health not known yet',
    task: mesosTask({ health_check: HEALTH_CHECK }),
    expected: { state: 'STARTING' },
  },
  {
    what: 'health-checked, RUNNING, unhealthy',
    task: mesosTask({ health_check: HEALTH_CHECK, statuses: [running({ healthy: false })] }),
    expected: { state: 'STARTING', healthy: false, launchedAt: 1_700_000_010_250 },
  },
  {
    what: 'health-checked, RUNNING, healthy',
    task: mesosTask({
      health_check: HEALTH_CHECK,
      statuses: [status('TASK_STARTING', LAUNCHED), running({ healthy: true })],
    }),
    expected: { healthy: true },
  },
  {
    what: 'health only in an earlier status: the latest one decides',
    task: mesosTask({
      health_check: HEALTH_CHECK,
      state: 'TASK_KILLING',
      statuses: [running({ healthy: true }), status('TASK_KILLING', LAUNCHED + 20)],
    }),
    expected: { state: 'KILLING', launchedAt: 1_700_000_010_250, updatedAt: 1_700_000_020_250 },
  },
  {
    what: 'staged, no status yet',
    task: mesosTask({ state: 'TASK_STAGING', statuses: undefined }),
    expected: { state: 'STARTING', launchedAt: NOW, updatedAt: NOW },
  },
  {
    what: 'failed, with the reason and message of the latest status',
    task: mesosTask({
      state: 'TASK_FAILED',
      statuses: [
        status('TASK_STARTING', LAUNCHED),
        status('TASK_FAILED', LAUNCHED + 30, { reason: 'REASON_COMMAND_EXECUTOR_FAILED', message: 'exit 1' }),
      ],
    }),
    expected: {
      state: 'FAILED',
      reason: 'REASON_COMMAND_EXECUTOR_FAILED',
      message: 'exit 1',
      updatedAt: 1_700_000_030_250,
    },
  },
  {
    what: 'refused as invalid (TASK_ERROR)',
    task: mesosTask({
      state: 'TASK_ERROR',
      statuses: [status('TASK_ERROR', LAUNCHED, { reason: 'REASON_TASK_INVALID' })],
    }),
    expected: { state: 'FAILED', reason: 'REASON_TASK_INVALID', updatedAt: 1_700_000_000_250 },
  },
  {
    what: 'unreachable, on an agent the master no longer lists',
    task: mesosTask({
      agent_id: { value: 'gone' },
      state: 'TASK_UNREACHABLE',
      statuses: [status('TASK_STARTING', LAUNCHED), status('TASK_UNREACHABLE', LAUNCHED + 40)],
    }),
    expected: { state: 'LOST', host: '', updatedAt: 1_700_000_040_250 },
  },
  {
    what: 'no discovery info and no config or commit label',
    task: mesosTask({
      discovery: undefined,
      labels: { labels: (borealisLabels().labels as Json[]).slice(0, 2) },
    }),
    expected: { ports: {}, configHash: '', commit: '' },
  },
];

describe('observedTasks', () => {
  for (const row of ROWS) {
    it(row.what, () => {
      const [observed, ...more] = observedTasks([view(row.task)], agents, FRAMEWORK, { now: NOW });
      assert.equal(more.length, 0);
      if (row.expected === undefined) assert.equal(observed, undefined);
      else assert.deepEqual(observed, { ...BASE, ...row.expected });
    });
  }

  it('keeps the order of its input and maps each task on its own', () => {
    const other = mesosTask({ task_id: { value: 't2' }, labels: borealisLabels('4') });
    const observed = observedTasks([view(mesosTask()), view(other)], agents, FRAMEWORK);
    assert.deepEqual(
      observed.map((t) => [t.taskId, t.instance]),
      [
        ['t1', 3],
        ['t2', 4],
      ],
    );
  });
});
