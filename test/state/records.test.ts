import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FileStateStore } from '../../src/state/file/file-store.js';
import { Records } from '../../src/state/records.js';
import { encodeKeySegment } from '../../src/state/types.js';
import { recorded, spec } from '../support/specs.js';

describe('Records: job records read once until any writer changes them', () => {
  let dir: string;
  let store: FileStateStore;
  const web = recorded(spec({ name: 'web' }));
  const api = recorded(spec({ name: 'api' }));

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'borealis-records-'));
    store = await FileStateStore.open(dir);
  });
  after(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('answers from what it read while nothing changed', async () => {
    const reader = new Records(store);
    await reader.putJobs([web]);
    const first = await reader.jobs();
    assert.deepEqual(
      first.map((job) => job.id),
      [web.id],
    );
    assert.equal(await reader.jobs(), first, 'the same records, not read again');
  });

  it('sees puts and deletes made through another Records on the same store', async () => {
    const reader = new Records(store);
    const writer = new Records(store);
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
    const writer = new Records(store);
    await writer.putJobs([web, api]);
    const before = await writer.jobs();
    await writer.putJob({ ...api, commit: 'c10' });
    const after = await writer.jobs();
    assert.equal(
      after.find((job) => job.id === web.id),
      before.find((job) => job.id === web.id),
    );
    assert.deepEqual(after, await new Records(store).jobs(), 'what a fresh reader reads');
    const other = new Records(store);
    await other.putJob({ ...web, commit: 'c11' });
    await writer.putJob(api); // after another writer: its cache is not patched
    assert.deepEqual(await writer.jobs(), await new Records(store).jobs());
    assert.equal((await writer.jobs()).find((job) => job.id === web.id)?.commit, 'c11');
    await writer.deleteJob(api.id);
    assert.deepEqual(await writer.jobs(), await new Records(store).jobs());
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
