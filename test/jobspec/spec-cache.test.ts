/**
 * The spec cache: an unchanged job file is neither read nor parsed again, and the jobs it
 * gives are exactly those a fresh load gives; a changed template invalidates the files that
 * extend it; a file with a problem is never cached; the cache survives a restart through
 * its file and is discarded by another Borealis.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { MemoryTree } from '../../src/source/memory-tree.js';
import { loadRepository } from '../../src/jobspec/load.js';
import { SpecCache } from '../../src/jobspec/spec-cache.js';
import { jobYaml, LOCAL_CLUSTERS } from '../support/jobs.js';
import { RecordingTree } from '../support/recording-tree.js';
import { setWarningSink } from '../../src/util/warnings.js';

const TEMPLATE = 'templates/base.yaml';
const base = (ram: string) =>
  `cluster: local\nrole: www-data\nenvironment: prod\nservice: true\ntask:\n  resources:\n    cpu: 0.1\n    ram: ${ram}\n    disk: 16MiB\n`;
const repository = (ram = '32MiB', extra: Record<string, string> = {}) => ({
  'clusters.yaml': LOCAL_CLUSTERS,
  [TEMPLATE]: base(ram),
  'jobs/a.yaml': jobYaml({ name: 'a', instances: 2 }),
  'jobs/b.yaml': `extends: ../templates/base.yaml\nname: b\ntask:\n  processes:\n    - name: main\n      cmdline: sleep 1\n`,
  ...extra,
});

describe('SpecCache', () => {
  const dirs: string[] = [];
  after(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

  it('a second load reads no unchanged job file and gives exactly the same jobs', async () => {
    const cache = new SpecCache('test');
    const first = await loadRepository(new RecordingTree(repository()), { cache });
    const tree = new RecordingTree(repository());
    const second = await loadRepository(tree, { cache });
    assert.deepEqual(second, first);
    assert.deepEqual(
      tree.reads.filter((path) => path.startsWith('jobs/')),
      [],
    );
    assert.deepEqual(second, await loadRepository(new MemoryTree(repository())), 'same as no cache at all');
  });

  it('a changed template invalidates the job that extends it, and only that one', async () => {
    const cache = new SpecCache('test');
    await loadRepository(new MemoryTree(repository('32MiB')), { cache });
    const tree = new RecordingTree(repository('64MiB'));
    const loaded = await loadRepository(tree, { cache });
    assert.ok(tree.reads.includes('jobs/b.yaml'));
    assert.ok(!tree.reads.includes('jobs/a.yaml'));
    assert.equal(loaded.jobs.find((job) => job.key.name === 'b')?.config.task.resources.ram, 64);
  });

  it('never caches a file with a problem: its problems come back every time', async () => {
    const cache = new SpecCache('test');
    const broken = repository('32MiB', { 'jobs/c.yaml': jobYaml({ name: 'c', instances: 'many' }) });
    const first = await loadRepository(new MemoryTree(broken), { cache });
    const second = await loadRepository(new MemoryTree(broken), { cache });
    assert.equal(first.problems.length, 1);
    assert.deepEqual(second.problems, first.problems);
  });

  it('locates a problem across files for cached jobs too: a duplicate job key', async () => {
    const cache = new SpecCache('test');
    await loadRepository(new MemoryTree(repository()), { cache });
    const twice: Record<string, string> = repository('32MiB', {
      'jobs/z.yaml': jobYaml({ name: 'a', instances: 1 }),
    });
    const loaded = await loadRepository(new MemoryTree(twice), { cache });
    const line = (text: string) => text.split('\n').indexOf('name: a') + 1;
    const [a, z] = [line(twice['jobs/a.yaml']!), line(twice['jobs/z.yaml']!)];
    assert.deepEqual(
      loaded.problems.map((p) => `${p.file}:${p.line}:${p.column}: ${p.message}`),
      [
        `jobs/z.yaml:${z}:7: job local/www-data/prod/a is already declared at jobs/a.yaml:${a}; job keys (cluster/role/environment/name) must be unique`,
      ],
    );
  });

  it('locates a cached job by its document: the second of a multi-document file', async () => {
    const cache = new SpecCache('test');
    const multi = `${jobYaml({ name: 'x', instances: 1 })}---\n${jobYaml({ name: 'y', instances: 1 })}`;
    const files: Record<string, string> = { ...repository(), 'jobs/multi.yaml': multi };
    await loadRepository(new MemoryTree(files), { cache });
    const loaded = await loadRepository(
      new MemoryTree({ ...files, 'jobs/z.yaml': jobYaml({ name: 'y', instances: 1 }) }),
      { cache },
    );
    const lines = multi.split('\n');
    const y = lines.indexOf('name: y') + 1;
    assert.ok(y > lines.indexOf('---'), 'y is written in the second document');
    assert.match(loaded.problems[0]?.message ?? '', new RegExp(`already declared at jobs/multi.yaml:${y};`));
  });

  it('takes a valid clusters.yaml from the cache at the same id, and validates a changed one', async () => {
    const cache = new SpecCache('test');
    const first = await loadRepository(new MemoryTree(repository()), { cache });
    const unchanged = new RecordingTree(repository());
    assert.deepEqual(await loadRepository(unchanged, { cache }), first);
    assert.ok(!unchanged.reads.includes('clusters.yaml'), 'the cached clusters are used');
    const broken = new RecordingTree({
      ...repository(),
      'clusters.yaml': 'clusters:\n  - name: local\n    type: moon\n',
    });
    const loaded = await loadRepository(broken, { cache });
    assert.ok(broken.reads.includes('clusters.yaml'), 'a new id is read again');
    assert.match(
      loaded.problems.map((problem) => `${problem.file}:${problem.line} ${problem.message}`).join('\n'),
      /clusters\.yaml:3 /,
    );
    const again = new RecordingTree({
      ...repository(),
      'clusters.yaml': 'clusters:\n  - name: local\n    type: moon\n',
    });
    await loadRepository(again, { cache });
    assert.ok(again.reads.includes('clusters.yaml'), 'an invalid clusters.yaml is never cached');
  });

  it('is saved to and loaded from its file; another Borealis discards it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'borealis-spec-cache-'));
    dirs.push(dir);
    const file = join(dir, 'cache', 'specs.json');
    const cache = new SpecCache('borealis 1');
    const fresh = await loadRepository(new MemoryTree(repository()), { cache });
    await cache.save(file);
    const tree = new RecordingTree(repository());
    assert.deepEqual(await loadRepository(tree, { cache: SpecCache.load(file, 'borealis 1') }), fresh);
    assert.ok(!tree.reads.includes('jobs/a.yaml'), 'taken from the file');
    assert.ok(!tree.reads.includes('clusters.yaml'), 'the clusters too');
    const other = new RecordingTree(repository());
    await loadRepository(other, { cache: SpecCache.load(file, 'borealis 2') });
    assert.ok(other.reads.includes('jobs/a.yaml'), 'another producer reads everything again');
    writeFileSync(file, '{not json');
    const garbled = new RecordingTree(repository());
    await loadRepository(garbled, { cache: SpecCache.load(file, 'borealis 1') });
    assert.ok(garbled.reads.includes('jobs/a.yaml'), 'an unreadable cache is an empty one');
  });

  it('checks every entry read from the file against its hash: an edited one is read from Git, with one warning', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'borealis-spec-cache-'));
    dirs.push(dir);
    const file = join(dir, 'specs.json');
    const files = { ...repository(), 'jobs/c.yaml': jobYaml({ name: 'c', instances: 1 }) };
    const cache = new SpecCache('borealis 1');
    const fresh = await loadRepository(new MemoryTree(files), { cache });
    await cache.save(file);
    const text = readFileSync(file, 'utf8');
    assert.ok(text.includes('"sleep 1000"'));
    writeFileSync(file, text.replaceAll('"sleep 1000"', '"rm -rf /"').replace('"local"', '"moon"'));
    const warnings: string[] = [];
    const restore = setWarningSink((message) => warnings.push(message));
    const tree = new RecordingTree(files);
    try {
      assert.deepEqual(await loadRepository(tree, { cache: SpecCache.load(file, 'borealis 1') }), fresh);
    } finally {
      restore();
    }
    assert.ok(
      tree.reads.includes('jobs/a.yaml') && tree.reads.includes('jobs/c.yaml'),
      'edited entries are read',
    );
    assert.ok(!tree.reads.includes('jobs/b.yaml'), 'an intact entry is still used');
    assert.equal(warnings.length, 1, warnings.join('\n'));
    assert.match(warnings[0]!, new RegExp(`spec cache ${file}: .*does not match its hash`));
  });
});
