import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { BorealisError } from '../../src/errors.js';
import { FileStateStore } from '../../src/state/file/file-store.js';
import { ownIdentity } from '../../src/state/file/process-identity.js';
import { StateCorruptError, type Versioned } from '../../src/state/types.js';
import { killed, spawnLineChild, type LineChild } from '../support/line-child.js';
import { testStateStore } from './contract.js';
import { BEFORE_JOURNAL, CRASH_OPERATIONS } from './file-store-child.js';

const CHILD = fileURLToPath(new URL('./file-store-child.js', import.meta.url));

async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'borealis-state-'));
}

/** A fresh directory per test, removed at the end of the file. */
function tempDirs(): () => Promise<string> {
  const dirs: string[] = [];
  after(() => Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true }))));
  return async () => {
    const dir = await tempDir();
    dirs.push(dir);
    return dir;
  };
}

function spawnChild(...args: string[]): LineChild {
  return spawnLineChild(CHILD, { BOREALIS_STATE_CHILD: '1' }, args);
}

/** Every file and directory below `dir`, relative, sorted. */
async function tree(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true })).sort();
}

testStateStore('FileStateStore', async () => {
  const dir = await tempDir();
  return { store: await FileStateStore.open(dir), cleanup: () => rm(dir, { recursive: true, force: true }) };
});

describe('FileStateStore on disk', () => {
  const newDir = tempDirs();

  it('creates its directory and keeps each key as a readable file <key>.json', async () => {
    const dir = join(await newDir(), 'not/yet/there');
    const store = new FileStateStore(dir);
    await store.put('jobs/local%2Fweb', { image: 'web:1' });
    const text = await readFile(join(dir, 'jobs', 'local%2Fweb.json'), 'utf8');
    assert.equal(text, '{\n  "version": 0,\n  "value": {\n    "image": "web:1"\n  }\n}\n');
    await store.close();
  });

  it('keeps a key and a prefix ending in .json apart', async () => {
    const store = await FileStateStore.open(await newDir());
    await store.put('a', 'file a');
    await store.put('a.json/b', 'under a.json');
    assert.deepEqual(await store.get('a'), { version: 0, value: 'file a' });
    assert.deepEqual(await store.list(''), ['a', 'a.json']);
    assert.deepEqual(await store.list('a.json'), ['b']);
    await store.close();
  });

  it('leaves no temp, journal or lock files behind', async () => {
    const dir = await newDir();
    const store = await FileStateStore.open(dir);
    await store.put('x/y', 1);
    await store.transaction([
      { op: 'put', key: 'x/y', value: 2, expectedVersion: 0 },
      { op: 'put', key: 'z', value: 3 },
    ]);
    await assert.rejects(store.put('z', 4, 7));
    await store.close();
    assert.deepEqual(await tree(dir), ['@locks', 'x', 'x/y.json', 'z.json']);
  });

  it('ignores a directory without records, such as one left by a crash during a delete', async () => {
    const dir = await newDir();
    const store = await FileStateStore.open(dir);
    await mkdir(join(dir, 'empty', 'deeper'), { recursive: true });
    await writeFile(join(dir, 'empty', '@123.4.tmp'), 'a temp file a crashed writer left');
    await store.put('real', 1);
    assert.deepEqual(await store.list(''), ['real']);
    await store.close();
  });

  it('fails once closed', async () => {
    const store = await FileStateStore.open(await newDir());
    await store.close();
    await assert.rejects(store.get('a'), /closed/);
  });
});

describe('FileStateStore atomicity', () => {
  const newDir = tempDirs();
  const payload = (n: number) => ({ n, pad: `${n}:`.repeat(500 + ((n * 7919) % 60_000)) });

  function assertWhole(record: Versioned | null, path: string): number {
    assert.ok(record !== null, `${path} disappeared`);
    assert.deepEqual(record.value, payload(record.version));
    return record.version;
  }

  it('never shows a reader a partial record while a writer rewrites it 200 times', async () => {
    const dir = await newDir();
    const writer = await FileStateStore.open(dir);
    const reader = await FileStateStore.open(dir);
    const path = join(dir, 'hot.json');
    await writer.put('hot', payload(0));
    let writing = true;
    const write = async () => {
      for (let n = 1; n <= 200; n += 1) assert.equal(await writer.put('hot', payload(n)), n);
      writing = false;
    };
    const read = async () => {
      let reads = 0;
      for (let last = 0; writing; reads += 1) {
        const raw = assertWhole(JSON.parse(await readFile(path, 'utf8')) as Versioned, path);
        const viaStore = assertWhole(await reader.get('hot'), path);
        assert.ok(raw >= last && viaStore >= raw, `versions went back: ${last}, ${raw}, ${viaStore}`);
        last = viaStore;
      }
      return reads;
    };
    const [, reads] = await Promise.all([write(), read()]);
    assert.ok(reads > 0);
    assert.equal((await reader.get('hot'))?.version, 200);
    await Promise.all([writer.close(), reader.close()]);
  });

  const corrupt: [string, string][] = [
    ['truncated JSON', '{\n  "version": 3,\n  "val'],
    ['empty file', ''],
    ['an array', '[1]'],
    ['no version', '{"value": 1}'],
    ['no value', '{"version": 0}'],
    ['a negative version', '{"version": -1, "value": 1}'],
    ['a fractional version', '{"version": 1.5, "value": 1}'],
    ['an unknown field', '{"version": 1, "value": 1, "valeu": 2}'],
  ];
  for (const [what, text] of corrupt) {
    it(`reports a record holding ${what} as StateCorruptError naming key and path, and keeps it`, async () => {
      const dir = await newDir();
      const store = await FileStateStore.open(dir);
      const path = join(dir, 'jobs', 'x.json');
      await mkdir(join(dir, 'jobs'));
      await writeFile(path, text);
      const isCorrupt = (error: unknown) =>
        error instanceof StateCorruptError &&
        error.key === 'jobs/x' &&
        error.location === path &&
        error.message.includes(path);
      await assert.rejects(store.get('jobs/x'), isCorrupt);
      await assert.rejects(store.put('jobs/x', 'overwrite'), isCorrupt);
      await assert.rejects(store.delete('jobs/x'), isCorrupt);
      assert.equal(await readFile(path, 'utf8'), text);
      await store.close();
    });
  }
});

describe('FileStateStore across processes', () => {
  const newDir = tempDirs();

  it('counts every increment of 4 processes doing conditional puts on one counter', async () => {
    const dir = await newDir();
    const seed = await FileStateStore.open(dir);
    await seed.put('counter', 0, null);
    const children = Array.from({ length: 4 }, () => spawnChild('increment', dir, '25'));
    for (const child of children) {
      assert.match(await child.line(), /^done \d+$/);
      assert.equal((await child.exit).code, 0);
    }
    assert.deepEqual(await seed.get('counter'), { version: 100, value: 100 });
    await seed.close();
  });

  it('waits for a live lock holder and fails naming it after the lock timeout', async () => {
    const dir = await newDir();
    const store = await FileStateStore.open(dir, { lockTimeoutMs: 200 });
    const holder = spawnChild('hold-lock', dir);
    assert.equal(await holder.line(), 'locked');
    await assert.rejects(
      store.put('k', 1),
      (error: unknown) =>
        error instanceof BorealisError &&
        error.code === 'STATE_LOCKED' &&
        error.message.includes(`pid ${holder.process.pid}`),
    );
    holder.process.stdin.end();
    assert.equal((await holder.exit).code, 0);
    assert.equal(await store.put('k', 1), 0);
    await store.close();
  });

  it('breaks the lock of a process killed while holding it', async () => {
    const dir = await newDir();
    const store = await FileStateStore.open(dir, { lockTimeoutMs: 5_000 });
    const holder = spawnChild('hold-lock', dir);
    assert.equal(await holder.line(), 'locked');
    assert.equal((await readdir(join(dir, '@locks'))).length, 1);
    await killed(holder);
    assert.equal(await store.put('k', 1), 0);
    assert.deepEqual(await readdir(join(dir, '@locks')), []);
    await store.close();
  });

  it('breaks locks whose pid now belongs to another process or to a previous boot', async () => {
    const dir = await newDir();
    const store = await FileStateStore.open(dir, { lockTimeoutMs: 5_000 });
    const { pid, start, boot } = ownIdentity();
    const reused = `${pid}.${start === '1' ? '2' : '1'}.${boot}.1.lock`;
    const rebooted = `${pid}.${start}.${boot === 'deadbeef' ? 'feedface' : 'deadbeef'}.1.lock`;
    for (const name of [reused, rebooted]) await writeFile(join(dir, '@locks', name), '{}\n');
    assert.equal(await store.put('k', 1), 0);
    assert.deepEqual(await readdir(join(dir, '@locks')), []);
    await store.close();
  });
});

describe('FileStateStore transactions across crashes', () => {
  const newDir = tempDirs();
  const keys = ['a', 'nested/b', 'c', 'nested/deeper/d'];
  const none = [{ version: 0, value: 'a0' }, { version: 0, value: 'b0' }, { version: 0, value: 'c0' }, null];
  const all = [
    { version: 1, value: 'a1' },
    { version: 1, value: { b: 1 } },
    null,
    { version: 0, value: 'd0' },
  ];

  async function seeded(): Promise<{ dir: string; store: FileStateStore }> {
    const dir = await newDir();
    const store = await FileStateStore.open(dir);
    await store.put('a', 'a0');
    await store.put('nested/b', 'b0');
    await store.put('c', 'c0');
    return { dir, store };
  }

  const read = (store: FileStateStore) => Promise.all(keys.map((key) => store.get(key)));

  /** Runs the transaction in a child, kills it at `stage`, and returns what a reopened store sees. */
  async function crashAt(stage: number): Promise<{ dir: string; store: FileStateStore; seen: unknown[] }> {
    const { dir, store } = await seeded();
    const child = spawnChild('crash', dir, String(stage));
    assert.equal(await child.line(), 'stopped');
    await killed(child);
    const reopened = await FileStateStore.open(dir, { lockTimeoutMs: 5_000 });
    const seen = await read(reopened);
    await reopened.close();
    return { dir, store, seen };
  }

  it('shows none of the writes when killed before the journal is in place', async () => {
    const { dir, store, seen } = await crashAt(BEFORE_JOURNAL);
    assert.deepEqual(seen, none);
    assert.ok(
      (await readdir(dir)).some((name) => name.endsWith('.tmp')),
      'the crash left its temp file',
    );
    assert.deepEqual(await store.list(''), ['a', 'c', 'nested']);
    await store.close();
  });

  for (let applied = 0; applied <= CRASH_OPERATIONS.length; applied += 1) {
    it(`shows all of the writes when killed after the journal with ${applied} applied`, async () => {
      const { dir, store, seen } = await crashAt(applied);
      assert.deepEqual(seen, all);
      assert.ok(!(await readdir(dir)).includes('@journal.json'));
      await store.close();
    });
  }

  it('completes a crashed transaction on a read by a store opened before the crash', async () => {
    const { store } = await seeded();
    const child = spawnChild('crash', store.directory, '1');
    assert.equal(await child.line(), 'stopped');
    await killed(child);
    assert.deepEqual(await read(store), all);
    await store.close();
  });

  it('replays a journal written by hand the way a crashed writer leaves it', async () => {
    const { dir, store } = await seeded();
    const journal = {
      journal: 1,
      writes: [
        { key: 'a', record: { version: 1, value: 'a1' } },
        { key: 'nested/b', record: { version: 1, value: { b: 1 } } },
        { key: 'c', record: null },
        { key: 'nested/deeper/d', record: { version: 0, value: 'd0' } },
      ],
    };
    await writeFile(join(dir, '@journal.json'), JSON.stringify(journal));
    await store.close();
    const reopened = await FileStateStore.open(dir);
    assert.deepEqual(await read(reopened), all);
    await reopened.close();
  });

  const badJournals: [string, string][] = [
    ['unparsable', '{"journal": 1, "wri'],
    ['escaping the store', '{"journal": 1, "writes": [{"key": "../outside", "record": null}]}'],
  ];
  for (const [what, text] of badJournals) {
    it(`refuses to open with an ${what} journal, naming it`, async () => {
      const dir = await newDir();
      const path = join(dir, '@journal.json');
      await writeFile(path, text);
      await assert.rejects(
        FileStateStore.open(dir),
        (error: unknown) => error instanceof StateCorruptError && error.location === path,
      );
    });
  }
});
