/**
 * Every number a job file or clusters.yaml may hold has a range: a row per bound with a value
 * just inside (no problem) and one just outside (exactly one problem, with the field, the
 * limit, and the place the value is written). Absurd values YAML reads as huge, rounded,
 * infinite or text-like numbers are rows too, and every outside value is reported in one run.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { DirectoryTree } from '../../src/source/dir-tree.js';
import { fastValues } from '../../src/jobspec/fast-yaml.js';
import { loadRepository, loadTree } from '../../src/jobspec/load.js';
import { currentProducer, SpecCache } from '../../src/jobspec/spec-cache.js';
import type { Problem } from '../../src/jobspec/types.js';
import { parseWithPositions } from '../../src/jobspec/yaml.js';
import { createTempRepo, withTempRepo } from '../support/temp-repo.js';

type Slot =
  | 'top'
  | 'update_config'
  | 'health_check_config'
  | 'process'
  | 'task'
  | 'resources'
  | 'env'
  | 'constraints'
  | 'clusters';

interface Value {
  slot: Slot;
  field: string;
  value: string;
}

interface Row {
  field: string;
  slot: Slot;
  inside: string[];
  outside: string;
  message: string;
}

const LIMIT = 'the limits.max_instances_per_job of cluster "local" in clusters.yaml';

const ROWS: Row[] = [
  row('instances', 'top', ['1', '4000'], '4001', `must be at most 4000, ${LIMIT} (got 4001)`),
  row('instances', 'top', [], '0', 'must be >= 1 (got 0)'),
  row('instances', 'top', [], '100001', 'must be <= 100000 (got 100001)'),
  row('instances', 'top', [], '0x7fffffffffffffff', 'must be <= 100000 (got about 9223372036854776000)'),
  row('instances', 'top', [], '1000000', 'must be <= 100000 (got 1000000)'),
  row('instances', 'top', [], '2.5', 'must be a whole number (got 2.5)'),
  row('priority', 'top', ['-1000', '1000'], '1001', 'must be <= 1000 (got 1001)'),
  row('priority', 'top', [], '-1001', 'must be >= -1000 (got -1001)'),
  row('priority', 'top', [], '1e308', 'must be <= 1000 (got about 1e+308)'),
  row('max_task_failures', 'top', ['-1', '1000'], '1001', 'must be <= 1000 (got 1001)'),
  row('max_task_failures', 'top', [], '-2', 'must be >= -1 (got -2)'),
  row('max_task_failures', 'top', [], '1e400', 'must be a whole number (got a number too large to hold)'),
  row('batch_size', 'update_config', ['1', '4000'], '4001', `must be at most 4000, ${LIMIT} (got 4001)`),
  row('batch_size', 'update_config', [], '0', 'must be >= 1 (got 0)'),
  row(
    'batch_size',
    'update_config',
    [],
    '9223372036854775808',
    'must be <= 100000 (got about 9223372036854776000)',
  ),
  row('watch_secs', 'update_config', ['0', '604800'], '604801', 'must be <= 604800 (got 604801)'),
  row(
    'watch_secs',
    'update_config',
    [],
    '9007199254740993',
    'must be <= 604800 (got about 9007199254740992)',
  ),
  row('max_per_shard_failures', 'update_config', ['1000'], '1001', 'must be <= 1000 (got 1001)'),
  row('max_total_failures', 'update_config', ['0'], '100001', 'must be <= 100000 (got 100001)'),
  row(
    'initial_interval_secs',
    'health_check_config',
    ['0', '604800'],
    '604801',
    'must be <= 604800 (got 604801)',
  ),
  row(
    'interval_secs',
    'health_check_config',
    ['0.5', '604800'],
    '604800.5',
    'must be <= 604800 (got 604800.5)',
  ),
  row(
    'timeout_secs',
    'health_check_config',
    ['604800'],
    '.inf',
    'must be a number (got a number too large to hold)',
  ),
  row('timeout_secs', 'health_check_config', [], '.nan', 'must be a number (got .nan, not a number)'),
  row('max_consecutive_failures', 'health_check_config', ['1000'], '1001', 'must be <= 1000 (got 1001)'),
  row('min_consecutive_successes', 'health_check_config', ['1000'], '1001', 'must be <= 1000 (got 1001)'),
  row('max_failures', 'process', ['0', '1000'], '1001', 'must be <= 1000 (got 1001)'),
  row('min_duration', 'process', ['604800'], '604801', 'must be <= 604800 (got 604801)'),
  row('max_failures', 'task', ['1000'], '1001', 'must be <= 1000 (got 1001)'),
  row('max_concurrency', 'task', ['0', '1000'], '1001', 'must be <= 1000 (got 1001)'),
  row('finalization_wait', 'task', ['604800'], '604801', 'must be <= 604800 (got 604801)'),
  row('cpu', 'resources', ['0.001', '1024'], '1024.001', 'must be <= 1024 (got 1024.001)'),
  row('cpu', 'resources', [], '0.0009', 'must be >= 0.001 (got 0.0009)'),
  row('cpu', 'resources', [], '9007199254740992', 'must be <= 1024 (got about 9007199254740992)'),
  row('ram', 'resources', ['1MiB', '1048576B', '64TiB'], '65TiB', 'must be at most 64TiB (got 65TiB)'),
  row('ram', 'resources', [], '1023KiB', 'must be at least 1MiB (got 1023KiB)'),
  row('ram', 'resources', [], '0.0000001B', 'must be at least 1MiB (got 0.0000001B)'),
  row('ram', 'resources', [], '0B', 'must be at least 1MiB (got 0B)'),
  row('ram', 'resources', [], `${'9'.repeat(400)}MiB`, `must be at most 64TiB (got ${'9'.repeat(37)}…)`),
  row('disk', 'resources', ['1MiB', '1024TiB'], '1025TiB', 'must be at most 1024TiB (got 1025TiB)'),
  row('disk', 'resources', [], '0MiB', 'must be at least 1MiB (got 0MiB)'),
  row('gpu', 'resources', ['0', '64'], '65', 'must be <= 64 (got 65)'),
  row('gpu', 'resources', [], '1e308', 'must be <= 64 (got about 1e+308)'),
  row(
    'host',
    'constraints',
    ['limit:1', 'limit:99999'],
    'limit:100000',
    "must be 'limit:N' (N from 1 to 99999) or a comma-separated list of values, optionally negated with a leading '!' (got \"limit:100000\")",
  ),
  row(
    'LEVEL',
    'env',
    ['"1e400"'],
    '1e400',
    'must be a string (got a number too large to hold); quote it to make it a string',
  ),
  row('max_instances_per_job', 'clusters', ['1', '100000'], '100001', 'must be <= 100000 (got 100001)'),
  row('max_instances_per_job', 'clusters', [], '0', 'must be >= 1 (got 0)'),
];

function row(field: string, slot: Slot, inside: string[], outside: string, message: string): Row {
  return { field, slot, inside, outside, message };
}

const PATHS: Record<Slot, (field: string) => string> = {
  top: (field) => field,
  update_config: (field) => `update_config.${field}`,
  health_check_config: (field) => `health_check_config.${field}`,
  process: (field) => `task.processes[0].${field}`,
  task: (field) => `task.${field}`,
  resources: (field) => `task.resources.${field}`,
  env: (field) => `env.${field}`,
  constraints: (field) => `constraints.${field}`,
  clusters: (field) => `clusters[0].limits.${field}`,
};

/** A valid job with each slot's block; `values` puts `field: value` lines into slots. */
function jobFile(values: readonly Value[]): string {
  const lines = (slot: Slot) =>
    values.filter((v) => v.slot === slot).map((v) => `${INDENTS[slot]}${v.field}: ${v.value}`);
  const resources = values.filter((v) => v.slot === 'resources').map((v) => v.field);
  const defaults = ['cpu: 0.5', 'ram: 64MiB', 'disk: 64MiB'].filter(
    (line) => !resources.includes(line.split(':')[0]!),
  );
  return [
    'cluster: local',
    'role: www',
    'environment: prod',
    'name: bounded',
    ...lines('top'),
    'env:',
    '  PLAIN: "x"',
    ...lines('env'),
    'constraints:',
    '  rack: "r1"',
    ...lines('constraints'),
    'update_config:',
    '  rollback_on_failure: true',
    ...lines('update_config'),
    'health_check_config:',
    '  http: { endpoint: /health }',
    ...lines('health_check_config'),
    'task:',
    '  processes:',
    '    - name: serve',
    '      cmdline: serve',
    ...lines('process'),
    ...lines('task'),
    '  resources:',
    ...defaults.map((line) => `    ${line}`),
    '    ports: [http]',
    ...lines('resources'),
    '',
  ].join('\n');
}

function clustersFile(values: readonly Value[]): string {
  const limits = values
    .filter((v) => v.slot === 'clusters')
    .map((v) => `${INDENTS.clusters}${v.field}: ${v.value}`);
  return [
    'clusters:',
    '  - name: local',
    '    type: local',
    ...(limits.length ? ['    limits:', ...limits] : []),
    '',
  ].join('\n');
}

function files(values: readonly Value[]): Record<string, string> {
  return { 'clusters.yaml': clustersFile(values), 'jobs/bounded.yaml': jobFile(values) };
}

async function problemsOf(repoFiles: Record<string, string>): Promise<Problem[]> {
  return withTempRepo(repoFiles, async (dir) => (await loadRepository(new DirectoryTree(dir))).problems);
}

/** `FILE:LINE:COL: FIELD: MESSAGE`, the line `validate` prints. */
function printed(problem: Problem): string {
  return `${problem.file}:${problem.line}:${problem.column}: ${problem.path}: ${problem.message}`;
}

const INDENTS: Record<Slot, string> = {
  top: '',
  update_config: '  ',
  health_check_config: '  ',
  process: '      ',
  task: '  ',
  resources: '    ',
  env: '  ',
  constraints: '  ',
  clusters: '      ',
};

/** Where `field: value` is written in `repoFiles`: the value's line and column. */
function placeOf(repoFiles: Record<string, string>, { slot, field, value }: Value): string {
  for (const [file, text] of Object.entries(repoFiles)) {
    const lines = text.split('\n');
    const index = lines.findIndex((line) => line === `${INDENTS[slot]}${field}: ${value}`);
    if (index >= 0) return `${file}:${index + 1}:${lines[index]!.indexOf(': ') + 3}`;
  }
  throw new Error(`${field}: ${value} is not written in the repository`);
}

describe('bounds: a value just inside each bound is accepted', () => {
  for (const { field, slot, inside } of ROWS) {
    for (const value of inside) {
      it(`${PATHS[slot](field)}: ${value}`, async () => {
        const problems = await problemsOf(files([{ slot, field, value }]));
        assert.deepEqual(problems.map(printed), []);
      });
    }
  }
});

describe('bounds: a value just outside each bound is one problem at its place, naming the limit', () => {
  for (const { field, slot, outside, message } of ROWS) {
    it(`${PATHS[slot](field)}: ${outside.slice(0, 30)}`, async () => {
      const repoFiles = files([{ slot, field, value: outside }]);
      const problems = await problemsOf(repoFiles);
      const expected = `${placeOf(repoFiles, { slot, field, value: outside })}: ${PATHS[slot](field)}: ${message}`;
      assert.deepEqual(problems.map(printed), [expected]);
    });
  }
});

describe('bounds: reported together', () => {
  it('every outside value of a distinct field in one run', async () => {
    const byField = new Map(ROWS.map((r) => [PATHS[r.slot](r.field), r]));
    const values = [...byField.values()].map(({ slot, field, outside }) => ({ slot, field, value: outside }));
    const repoFiles = files(values);
    const problems = (await problemsOf(repoFiles)).map(printed);
    // A wrong clusters.yaml stops the job checks that need it (the cluster's limit).
    const expected = [...byField.values()]
      .filter((r) => r.slot === 'clusters' || !r.message.includes(LIMIT))
      .map(
        (r) =>
          `${placeOf(repoFiles, { slot: r.slot, field: r.field, value: r.outside })}: ${PATHS[r.slot](r.field)}: ${r.message}`,
      );
    assert.deepEqual([...problems].sort(), [...expected].sort());
  });
});

describe('bounds: the cluster limit', () => {
  it('is the cluster’s own limits.max_instances_per_job when set', async () => {
    const at = (count: string) => [
      { slot: 'clusters' as const, field: 'max_instances_per_job', value: '10' },
      { slot: 'top' as const, field: 'instances', value: count },
    ];
    assert.deepEqual((await problemsOf(files(at('10')))).map(printed), []);
    const repoFiles = files(at('11'));
    assert.deepEqual((await problemsOf(repoFiles)).map(printed), [
      `${placeOf(repoFiles, at('11')[1]!)}: instances: must be at most 10, ${LIMIT} (got 11)`,
    ]);
  });

  it('is checked again when only clusters.yaml changes, although the job file is cached', async () => {
    const cache = new SpecCache(currentProducer());
    const instances: Value = { slot: 'top', field: 'instances', value: '50' };
    const limit: Value = { slot: 'clusters', field: 'max_instances_per_job', value: '20' };
    const repo = await createTempRepo(files([instances]));
    try {
      const first = await loadTree(new DirectoryTree(repo.dir), { cache });
      assert.deepEqual(first.repository.problems.map(printed), []);
      const limited = files([instances, limit]);
      await writeFile(join(repo.dir, 'clusters.yaml'), limited['clusters.yaml']!);
      const second = await loadTree(new DirectoryTree(repo.dir), { cache });
      assert.deepEqual(second.repository.problems.map(printed), [
        `${placeOf(limited, instances)}: instances: must be at most 20, ${LIMIT} (got 50)`,
      ]);
    } finally {
      await repo.remove();
    }
  });
});

describe('bounds: both YAML readers see the same number', () => {
  for (const { field, outside } of ROWS) {
    it(`${field}: ${outside.slice(0, 30)}`, () => {
      const text = `${field}: ${outside}\n`;
      const fast = fastValues(text);
      const full = parseWithPositions('f.yaml', text).documents.map((document) => document.value);
      // The fast reader may decline a file (undefined); what it reads must be what `yaml` reads.
      if (fast !== undefined) assert.deepEqual(fast, full);
    });
  }
});
