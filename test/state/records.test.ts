import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FileStateStore } from '../../src/state/file/file-store.js';
import { Records } from '../../src/state/records.js';
import { RecordsSnapshot } from '../../src/state/records-snapshot.js';
import { DelegatingStore } from '../../src/state/delegating-store.js';
import type { StateStore } from '../../src/state/types.js';
import { encodeKeySegment } from '../../src/state/types.js';
import { recorded, spec } from '../support/specs.js';

/** A file store in a fresh directory, open for the enclosing suite and removed after it. */
function suiteStore(prefix: string): { dir: string; store: FileStateStore } {
  const suite = {} as { dir: string; store: FileStateStore };
  before(async () => {
    suite.dir = await mkdtemp(join(tmpdir(), prefix));
    suite.store = await FileStateStore.open(join(suite.dir, 'store'));
  });
  after(async () => {
    await suite.store.close();
    await rm(suite.dir, { recursive: true, force: true });
  });
  return suite;
}

describe('Records: job records read once until any writer changes them', () => {
  const suite = suiteStore('borealis-records-');
  const web = recorded(spec({ name: 'web' }));
  const api = recorded(spec({ name: 'api' }));

  it('answers from what it read while nothing changed', async () => {
    const reader = new Records(suite.store);
    await reader.putJobs([web]);
    const first = await reader.jobs();
    assert.deepEqual(
      first.map((job) => job.id),
      [web.id],
    );
    assert.equal(await reader.jobs(), first, 'the same records, not read again');
  });

  it('sees puts and deletes made through another Records on the same store', async () => {
    const reader = new Records(suite.store);
    const writer = new Records(suite.store);
    await reader.jobs();
    await writer.putJob(api);
    assert.deepEqual((await reader.jobs()).map((job) => job.id).sort(), [api.id, web.id].sort());
    await writer.putJob({ ...api, commit: 'c9' });
    assert.equal((await reader.jobs()).find((job) => job.id === api.id)?.commit, 'c9');
    await writer.deleteJob(web.id);
    assert.deepEqual(
      (await reader.jobs()).map((job) => job.id),
      [api.id],
    );
  });

  it('takes its own writes into what it read: the other records keep their objects', async () => {
    const writer = new Records(suite.store);
    await writer.putJobs([web, api]);
    const before = await writer.jobs();
    await writer.putJob({ ...api, commit: 'c10' });
    const after = await writer.jobs();
    assert.equal(
      after.find((job) => job.id === web.id),
      before.find((job) => job.id === web.id),
    );
    assert.deepEqual(after, await new Records(suite.store).jobs(), 'what a fresh reader reads');
    const other = new Records(suite.store);
    await other.putJob({ ...web, commit: 'c11' });
    await writer.putJob(api); // after another writer: its cache is not patched
    assert.deepEqual(await writer.jobs(), await new Records(suite.store).jobs());
    assert.equal((await writer.jobs()).find((job) => job.id === web.id)?.commit, 'c11');
    await writer.deleteJob(api.id);
    assert.deepEqual(await writer.jobs(), await new Records(suite.store).jobs());
  });

  it('reads every time from a store an older Borealis wrote without the stamp', async () => {
    const dirOld = await mkdtemp(join(tmpdir(), 'borealis-records-old-'));
    const old = await FileStateStore.open(dirOld);
    try {
      const reader = new Records(old);
      await old.put(`jobs/${encodeKeySegment(web.id)}`, { format: 1, ...web });
      assert.equal((await reader.jobs()).length, 1);
      await old.put(`jobs/${encodeKeySegment(api.id)}`, { format: 1, ...api });
      assert.equal((await reader.jobs()).length, 2);
    } finally {
      await old.close();
      await rm(dirOld, { recursive: true, force: true });
    }
  });
});

describe('Records: a snapshot carries the job records from one process to the next', () => {
  const suite = suiteStore('borealis-records-snapshot-');
  const web = recorded(spec({ name: 'web' }));
  const api = recorded(spec({ name: 'api' }));

  /** A store that counts the record reads a new process would make. */
  const counting = (inner: StateStore) => {
    const counted = { reads: 0, store: new DelegatingStore(() => inner) };
    const getMany = counted.store.getMany.bind(counted.store);
    counted.store.getMany = (keys) => {
      counted.reads += keys.length;
      return getMany(keys);
    };
    return counted;
  };

  it('a later reader takes the records from the snapshot while no one wrote', async () => {
    const snapshot = new RecordsSnapshot(join(suite.dir, 'cache', 'first.json'));
    await new Records(suite.store).putJobs([web, api]);
    const first = await new Records(suite.store, snapshot).jobs();
    const later = counting(suite.store);
    const read = await new Records(later.store, snapshot).jobs();
    assert.deepEqual(read, first);
    assert.equal(later.reads, 0, 'not one record read from the store');
  });

  it('is not used once any writer changed the records: the next reader reads and saves them again', async () => {
    const snapshot = new RecordsSnapshot(join(suite.dir, 'cache', 'second.json'));
    await new Records(suite.store).putJobs([web, api]);
    await new Records(suite.store, snapshot).jobs();
    await new Records(suite.store).putJob({ ...api, commit: 'c20' }); // another process, no snapshot
    const after = counting(suite.store);
    const read = await new Records(after.store, snapshot).jobs();
    assert.equal(read.find((job) => job.id === api.id)?.commit, 'c20');
    assert.equal(after.reads, 2);
    const next = counting(suite.store);
    assert.deepEqual(await new Records(next.store, snapshot).jobs(), read);
    assert.equal(next.reads, 0, 'the records read again were saved');
  });

  it('an unreadable snapshot is a missed cache, and is replaced', async () => {
    const file = join(suite.dir, 'cache', 'third.json');
    const snapshot = new RecordsSnapshot(file);
    await new Records(suite.store).putJobs([web]);
    await new Records(suite.store, snapshot).jobs();
    const text = await readFile(file, 'utf8');
    await writeFile(file, text.slice(0, text.length / 2));
    const torn = counting(suite.store);
    assert.deepEqual(await new Records(torn.store, snapshot).jobs(), await new Records(suite.store).jobs());
    assert.ok(torn.reads > 0, 'read from the store');
    assert.equal(await readFile(file, 'utf8'), text, 'and saved whole again');
  });
});
