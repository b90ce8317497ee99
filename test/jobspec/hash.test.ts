import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { stringify, type ToStringOptions } from 'yaml';
import { MemoryTree } from '../../src/source/memory-tree.js';
import { loadRepository } from '../../src/jobspec/load.js';
import { canonicalJson } from '../../src/jobspec/hash.js';
import type { JobSpec } from '../../src/jobspec/types.js';
import { jobObject, LOCAL_CLUSTERS } from '../support/jobs.js';

/** A job using most instance-shaping fields, so that reordering has plenty to shuffle. */
const RICH_JOB = jobObject({
  name: 'web',
  instances: 3,
  service: true,
  env: { A: '1', B: 'two' },
  metadata: { team: 'www' },
  constraints: { host: 'limit:1', rack: 'r1,r2' },
  container: { docker: { image: 'nginx:1', parameters: [{ name: 'env', value: 'X=1' }] } },
  update_config: { batch_size: 2, watch_secs: 10 },
  health_check_config: { http: { endpoint: '/ok' }, interval_secs: 2 },
  announce: { primary_port: 'http', portmap: { admin: 'http' } },
  task: {
    processes: [
      { name: 'setup', cmdline: 'echo setup' },
      { name: 'serve', cmdline: 'serve --port {{thermos.ports[http]}}', max_failures: 3 },
    ],
    constraints: [{ order: ['setup', 'serve'] }],
    resources: { cpu: 0.5, ram: '128MiB', disk: '1GiB', ports: ['http'] },
    finalization_wait: 10,
  },
});

async function loadOne(files: Record<string, string>): Promise<JobSpec> {
  const loaded = await loadRepository(new MemoryTree({ 'clusters.yaml': LOCAL_CLUSTERS, ...files }));
  assert.deepEqual(loaded.problems, []);
  assert.equal(loaded.jobs.length, 1);
  return loaded.jobs[0]!;
}

async function hashOf(
  job: unknown,
  file = 'jobs/web.yaml',
  yamlOptions: ToStringOptions = {},
): Promise<string> {
  return (await loadOne({ [file]: stringify(job, yamlOptions) })).configHash;
}

/** Rebuilds every map with its keys in the order `order` picks; lists keep their order. */
function reorderKeys(value: unknown, order: (keys: string[]) => string[]): unknown {
  if (Array.isArray(value)) return value.map((item) => reorderKeys(item, order));
  if (value === null || typeof value !== 'object') return value;
  const record = value as Record<string, unknown>;
  return Object.fromEntries(order(Object.keys(record)).map((key) => [key, reorderKeys(record[key], order)]));
}

function withPath(job: Record<string, unknown>, path: string[], value: unknown): Record<string, unknown> {
  const copy = structuredClone(job);
  let node = copy;
  for (const key of path.slice(0, -1)) {
    node[key] ??= {};
    node = node[key] as Record<string, unknown>;
  }
  node[path[path.length - 1]!] = value;
  return copy;
}

describe('config hash', () => {
  it('is unchanged by key order, YAML style and indentation', async () => {
    const reference = await hashOf(RICH_JOB);
    await fc.assert(
      fc.asyncProperty(
        fc.infiniteStream(fc.integer()),
        fc.integer({ min: 2, max: 8 }),
        fc.constantFrom('block' as const, 'flow' as const, 'any' as const),
        async (randomness, indent, collectionStyle) => {
          const shuffled = reorderKeys(RICH_JOB, (keys) => {
            const ranked = keys.map((key) => ({ key, rank: randomness.next().value as number }));
            return ranked.sort((a, b) => a.rank - b.rank).map(({ key }) => key);
          });
          const hash = await hashOf(shuffled, 'jobs/web.yaml', { indent, collectionStyle });
          assert.equal(hash, reference);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('is unchanged by moving the job to another file', async () => {
    const reference = await hashOf(RICH_JOB);
    for (const file of ['jobs/a.yaml', 'jobs/deep/er/web.yml', 'jobs/x/other-name.yaml']) {
      assert.equal(await hashOf(RICH_JOB, file), reference, file);
    }
  });

  it('is unchanged by instances and update_config', async () => {
    const reference = await hashOf(RICH_JOB);
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 2, max: 500 }),
        fc.record({
          batch_size: fc.integer({ min: 1, max: 50 }),
          // Below progress_deadline_secs, as validation requires.
          watch_secs: fc.integer({ min: 0, max: 599 }),
          progress_deadline_secs: fc.integer({ min: 600, max: 3600 }),
          max_per_shard_failures: fc.integer({ min: 0, max: 5 }),
          max_total_failures: fc.integer({ min: 0, max: 1 }),
          rollback_on_failure: fc.boolean(),
          wait_for_batch_completion: fc.boolean(),
        }),
        async (instances, updateConfig) => {
          const changed = { ...RICH_JOB, instances, update_config: updateConfig };
          assert.equal(await hashOf(changed), reference);
        },
      ),
      { numRuns: 30 },
    );
  });

  it('treats spelled-out defaults and equal sizes as the same configuration', async () => {
    const reference = await hashOf(RICH_JOB);
    const spelledOut = withPath(
      withPath(withPath(RICH_JOB, ['task', 'max_failures'], 1), ['task', 'resources', 'gpu'], 0),
      ['task', 'resources', 'disk'],
      '1024MiB',
    );
    assert.equal(await hashOf(spelledOut), reference);
  });

  // A schedule decides when runs start, not what an instance runs: changing it restarts nothing.
  it('is unchanged by the cron fields', async () => {
    const batch = { ...RICH_JOB, service: false };
    const reference = await hashOf(batch);
    const cron = {
      cron_schedule: '30 2 * * *',
      cron_timezone: 'Europe/Berlin',
      cron_paused: true,
      cron_collision_policy: 'CANCEL_NEW',
    };
    assert.equal(await hashOf({ ...batch, ...cron }), reference);
    assert.equal(await hashOf({ ...batch, ...cron, cron_schedule: '@daily', cron_paused: false }), reference);
  });

  const SHAPING_CHANGES: [string, string[], unknown][] = [
    [
      'a process command line',
      ['task', 'processes'],
      [
        { name: 'setup', cmdline: 'echo other' },
        { name: 'serve', cmdline: 'serve --port {{thermos.ports[http]}}', max_failures: 3 },
      ],
    ],
    ['cpu', ['task', 'resources', 'cpu'], 0.75],
    ['ram', ['task', 'resources', 'ram'], '256MiB'],
    ['disk', ['task', 'resources', 'disk'], '2GiB'],
    ['requested ports', ['task', 'resources', 'ports'], ['http', 'admin']],
    ['gpu', ['task', 'resources', 'gpu'], 1],
    ['an environment value', ['env', 'B'], 'three'],
    ['an added environment variable', ['env', 'C'], 'new'],
    ['the container image', ['container', 'docker', 'image'], 'nginx:2'],
    ['the health check interval', ['health_check_config', 'interval_secs'], 3],
    ['the health check endpoint', ['health_check_config', 'http', 'endpoint'], '/health'],
    ['the announce portmap', ['announce', 'portmap', 'admin'], 8080],
    ['a placement constraint', ['constraints', 'host'], 'limit:2'],
    ['metadata', ['metadata', 'team'], 'other'],
    ['finalization_wait', ['task', 'finalization_wait'], 11],
    ['the task name', ['task', 'name'], 'renamed'],
    ['task max_failures', ['task', 'max_failures'], 2],
    ['tier', ['tier'], 'preemptible'],
    ['priority', ['priority'], 5],
    ['production', ['production'], true],
  ];

  for (const [what, path, value] of SHAPING_CHANGES) {
    it(`changes when ${what} changes`, async () => {
      assert.notEqual(await hashOf(withPath(RICH_JOB, path, value)), await hashOf(RICH_JOB));
    });
  }

  // Every running task carries its configuration's hash: a Borealis whose hashes differ from
  // the last one's would roll every instance of every job on its first pass.
  it('is the same in every version: a pinned configuration keeps its pinned hash', async () => {
    assert.equal(await hashOf(RICH_JOB), '834b279c6f42b8c0');
    assert.equal(
      canonicalJson({ b: [1, 'x', null, { d: true, c: undefined, é: 1.5, A: -0 }], a: 'q"\n', Z: {} }),
      '{"Z":{},"a":"q\\"\\n","b":[1,"x",null,{"A":0,"d":true,"é":1.5}]}',
    );
  });

  it('writes canonical JSON exactly as the first definition did, for any JSON value', () => {
    fc.assert(
      fc.property(
        fc.jsonValue(),
        fc.object({ values: [fc.constant(undefined), fc.jsonValue()] }),
        (json, sparse) => {
          assert.equal(canonicalJson(json), firstCanonicalJson(json));
          assert.equal(canonicalJson(sparse), firstCanonicalJson(sparse));
        },
      ),
      { numRuns: 500 },
    );
  });
});

/** canonicalJson as first written, in entries, filters and joins: the definition it must keep. */
function firstCanonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(firstCanonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${firstCanonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
