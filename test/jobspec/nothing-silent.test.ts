/**
 * Nothing in a job file is dropped or changed without a word: each case that once vanished
 * or was mangled silently is either a problem, with its exact text and place, or kept
 * exactly as written.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryTree } from '../../src/source/memory-tree.js';
import { deepMerge } from '../../src/jobspec/extends.js';
import { loadRepository } from '../../src/jobspec/load.js';
import type { LoadedRepository } from '../../src/jobspec/types.js';
import { LOCAL_CLUSTERS } from '../support/jobs.js';

const JOB = `cluster: local
role: www
environment: prod
name: web
task:
  processes:
    - name: main
      cmdline: exec sleep 100
  resources: { cpu: 0.1, ram: 16MiB, disk: 16MiB }
`;

/** The job above with `extra` appended (its first line is line 10). */
const jobWith = (extra: string) => JOB + extra;

async function load(file: string | Uint8Array, more: Record<string, string> = {}): Promise<LoadedRepository> {
  return loadRepository(new MemoryTree({ 'clusters.yaml': LOCAL_CLUSTERS, 'jobs/web.yaml': file, ...more }));
}

async function problemLines(file: string | Uint8Array, more: Record<string, string> = {}): Promise<string[]> {
  const { problems } = await load(file, more);
  return problems.map(({ file: name, line, column, path, message }) =>
    [`${name}:${line}:${column}`, path, message].filter(Boolean).join(': '),
  );
}

const TAGS_ALLOWED = 'tags allowed: !!str, !!int, !!float, !!bool, !!null, !!map, !!seq';
const PROTO = '"__proto__" cannot be used as a key or name: JavaScript gives it a special meaning';

interface Case {
  name: string;
  file: string | Uint8Array;
  expected: string[];
}

const PROBLEMS: Case[] = [
  {
    name: 'a map or a list as a key (it was stringified, with a warning on stderr)',
    file: jobWith('metadata:\n  ? [a, b]\n  : x\n  ? {c: 1}\n  : y\n'),
    expected: [
      'jobs/web.yaml:11:5: metadata: a key must be a plain value, not a map or a list',
      'jobs/web.yaml:13:5: metadata: a key must be a plain value, not a map or a list',
    ],
  },
  {
    name: 'a top-level __proto__ map (it vanished: same config hash as without it)',
    file: jobWith('__proto__: {x: 1}\n'),
    expected: [
      'jobs/web.yaml:10:1: __proto__: unknown field "__proto__"; known fields: extends, cluster, role, environment, name, instances, service, contact, tier, priority, production, max_task_failures, cron_schedule, cron_collision_policy, cron_timezone, cron_paused, constraints, metadata, env, container, update_config, health_check_config, announce, task',
    ],
  },
  {
    name: 'a top-level constructor and prototype',
    file: jobWith('constructor: 1\nprototype: 2\n'),
    expected: [
      'jobs/web.yaml:10:1: constructor: unknown field "constructor"; known fields: extends, cluster, role, environment, name, instances, service, contact, tier, priority, production, max_task_failures, cron_schedule, cron_collision_policy, cron_timezone, cron_paused, constraints, metadata, env, container, update_config, health_check_config, announce, task',
      'jobs/web.yaml:11:1: prototype: unknown field "prototype"; known fields: extends, cluster, role, environment, name, instances, service, contact, tier, priority, production, max_task_failures, cron_schedule, cron_collision_policy, cron_timezone, cron_paused, constraints, metadata, env, container, update_config, health_check_config, announce, task',
    ],
  },
  {
    name: 'a nested __proto__ in a fixed map',
    file: jobWith('update_config:\n  __proto__: {batch_size: 2}\n'),
    expected: [
      'jobs/web.yaml:11:3: update_config.__proto__: unknown field "__proto__"; known fields: batch_size, watch_secs, max_per_shard_failures, max_total_failures, rollback_on_failure, wait_for_batch_completion, progress_deadline_secs',
    ],
  },
  {
    name: '__proto__ as a key of the free-form maps',
    file: jobWith('metadata:\n  __proto__: x\nenv:\n  __proto__: y\n'),
    expected: [
      `jobs/web.yaml:11:3: metadata.__proto__: ${PROTO}`,
      `jobs/web.yaml:13:3: env.__proto__: ${PROTO}`,
    ],
  },
  {
    name: '__proto__ as a process name',
    file: JOB.replace('- name: main', '- name: __proto__'),
    expected: [`jobs/web.yaml:7:13: task.processes[0].name: ${PROTO}`],
  },
  {
    name: 'metadata: !!set {a, b} (it vanished: an empty map)',
    file: jobWith('metadata: !!set {a, b}\n'),
    expected: [
      `jobs/web.yaml:10:11: metadata: YAML tag !!set is not supported; write a plain scalar, map or list (${TAGS_ALLOWED})`,
    ],
  },
  {
    name: 'every other tag that makes a value that is not plain data',
    file: jobWith(
      'metadata:\n  a: !!binary aGVsbG8=\n  b: !!timestamp 2026-01-01\n  c: !!omap [{x: y}]\n  d: !!pairs [{x: y}]\n  e: !custom z\n  f: !<tag:example.com,2026:x> z\n',
    ),
    expected: [
      `jobs/web.yaml:11:6: metadata.a: YAML tag !!binary is not supported; write a plain scalar, map or list (${TAGS_ALLOWED})`,
      `jobs/web.yaml:12:6: metadata.b: YAML tag !!timestamp is not supported; write a plain scalar, map or list (${TAGS_ALLOWED})`,
      `jobs/web.yaml:13:6: metadata.c: YAML tag !!omap is not supported; write a plain scalar, map or list (${TAGS_ALLOWED})`,
      `jobs/web.yaml:14:6: metadata.d: YAML tag !!pairs is not supported; write a plain scalar, map or list (${TAGS_ALLOWED})`,
      `jobs/web.yaml:15:6: metadata.e: YAML tag !custom is not supported; write a plain scalar, map or list (${TAGS_ALLOWED})`,
      `jobs/web.yaml:16:6: metadata.f: YAML tag tag:example.com,2026:x is not supported; write a plain scalar, map or list (${TAGS_ALLOWED})`,
    ],
  },
  {
    name: 'a plain tag on a value that does not fit it',
    file: jobWith('metadata:\n  a: !!int seven\n'),
    expected: ['jobs/web.yaml:11:6: metadata.a: the value does not fit its YAML tag !!int'],
  },
  {
    name: 'NUL characters in a cmdline, an environment value and a metadata key',
    file:
      JOB.replace('exec sleep 100', '"exec sleep\\0 100"') + 'env:\n  A: "x\\0y"\nmetadata:\n  "k\\0": v\n',
    expected: [
      'jobs/web.yaml:8:16: task.processes[0].cmdline: a value must not contain a NUL character (\\0)',
      'jobs/web.yaml:11:6: env.A: a value must not contain a NUL character (\\0)',
      'jobs/web.yaml:13:3: metadata."k\\u0000": a key must not contain a NUL character (\\0)',
    ],
  },
  {
    name: 'invalid UTF-8 in an environment value (it became U+FFFD)',
    file: Buffer.concat([
      Buffer.from(jobWith('env:\n  GREETING: "h')),
      Buffer.from([0xe9]),
      Buffer.from('llo"\n'),
    ]),
    expected: ['jobs/web.yaml:11:15: not valid UTF-8 (byte 0xe9); save the file as UTF-8 text'],
  },
  {
    name: 'an invalid first byte (a Latin-1 file)',
    file: Buffer.concat([Buffer.from([0xe9]), Buffer.from(`\n${JOB}`)]),
    expected: ['jobs/web.yaml:1:1: not valid UTF-8 (byte 0xe9); save the file as UTF-8 text'],
  },
  {
    name: 'a truncated multi-byte character at the very end of the file',
    file: Buffer.concat([Buffer.from(jobWith('# caf')), Buffer.from([0xc3])]),
    expected: ['jobs/web.yaml:10:6: not valid UTF-8 (byte 0xc3); save the file as UTF-8 text'],
  },
];

describe('nothing silent: cases reported as problems', () => {
  for (const { name, file, expected } of PROBLEMS) {
    it(name, async () => assert.deepEqual(await problemLines(file), expected));
  }

  it('clusters.yaml is checked alike', async () => {
    const { problems } = await loadRepository(
      new MemoryTree({
        'clusters.yaml':
          'clusters:\n  - name: local\n    type: local\n    sandbox_root: "/srv\\0"\n  - name: __proto__\n    type: local\n',
      }),
    );
    assert.deepEqual(
      problems.map(
        ({ file, line, column, path, message }) => `${file}:${line}:${column}: ${path}: ${message}`,
      ),
      [
        'clusters.yaml:4:19: clusters[0].sandbox_root: a value must not contain a NUL character (\\0)',
        `clusters.yaml:5:11: clusters[1].name: ${PROTO}`,
      ],
    );
  });

  it('a template holding __proto__ is reported in the template, and sets no prototype', async () => {
    const lines = await problemLines('extends: ../templates/base.yaml\n' + JOB, {
      'templates/base.yaml': '__proto__:\n  polluted: true\n',
    });
    assert.match(lines.join('\n'), /^templates\/base\.yaml:1:1: __proto__: unknown field "__proto__"/);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });
});

describe('nothing silent: cases kept exactly', () => {
  it('constructor and prototype are ordinary keys of the free-form maps, kept and hashed', async () => {
    const plain = await load(jobWith('metadata:\n  team: web\n'));
    const { jobs, problems } = await load(
      jobWith('metadata:\n  team: web\n  constructor: a\n  prototype: b\nenv:\n  constructor: c\n'),
    );
    assert.deepEqual(problems, []);
    const { metadata, env } = jobs[0]!.config;
    assert.deepEqual(Object.entries(metadata), [
      ['team', 'web'],
      ['constructor', 'a'],
      ['prototype', 'b'],
    ]);
    assert.deepEqual(Object.entries(env), [['constructor', 'c']]);
    assert.equal(Object.getPrototypeOf(metadata), Object.prototype);
    assert.notEqual(jobs[0]!.configHash, plain.jobs[0]!.configHash);
  });

  it('the plain tags say what a value already is', async () => {
    const { jobs, problems } = await load(jobWith('metadata: !!map\n  a: !!str 1\n  b: !!str true\n'));
    assert.deepEqual(problems, []);
    assert.deepEqual(jobs[0]!.config.metadata, { a: '1', b: 'true' });
  });

  it('a trailing --- opens an empty document, which is skipped', async () => {
    for (const file of [jobWith('---\n'), jobWith('---\n# nothing more\n'), jobWith('...\n---\n')]) {
      const { jobs, problems } = await load(file);
      assert.deepEqual(problems, [], JSON.stringify(file));
      assert.deepEqual(
        jobs.map((job) => job.id),
        ['local/www/prod/web'],
      );
    }
  });

  it('a file of only --- declares no job and is no problem', async () => {
    const { jobs, problems } = await load('---\n');
    assert.deepEqual({ jobs, problems }, { jobs: [], problems: [] });
  });

  it('an explicit null document is still a problem', async () => {
    assert.deepEqual(await problemLines(jobWith('--- ~\n')), [
      'jobs/web.yaml:10:5: a job document must be a map of job fields',
    ]);
  });

  it('deepMerge defines a __proto__ key as the merged map own key, never its prototype', () => {
    const override = JSON.parse('{"__proto__": {"x": 1}, "a": {"__proto__": {"y": 2}}}') as Record<
      string,
      unknown
    >;
    const merged = deepMerge({ a: { b: 1 } }, override);
    assert.equal(Object.getPrototypeOf(merged), Object.prototype);
    assert.deepEqual(Object.keys(merged), ['a', '__proto__']);
    assert.deepEqual(Object.keys(merged.a as object), ['b', '__proto__']);
    assert.equal(Object.getPrototypeOf(merged.a), Object.prototype);
  });
});
