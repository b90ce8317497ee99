/** The reference in-memory store: the StateStore contract, and records that outlive a store object. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryStateStore } from '../../src/state/memory/memory-store.js';
import { testStateStore } from './contract.js';

testStateStore('MemoryStateStore', () =>
  Promise.resolve({ store: new MemoryStateStore(), cleanup: () => Promise.resolve() }),
);

describe('MemoryStateStore records', () => {
  it('are seen by a store opened on them after the first one closed, which refuses further calls', async () => {
    const first = new MemoryStateStore();
    await first.put('applied', { commit: 'c1' });
    await first.close();
    await assert.rejects(first.get('applied'), /closed/);
    const again = new MemoryStateStore(first.records);
    assert.deepEqual(await again.get('applied'), { version: 0, value: { commit: 'c1' } });
  });

  it('keep a copy: changing a value after writing or reading it changes nothing stored', async () => {
    const store = new MemoryStateStore();
    const value = { list: [1] };
    await store.put('k', value);
    value.list.push(2);
    const read = await store.get<{ list: number[] }>('k');
    read!.value.list.push(3);
    assert.deepEqual((await store.get('k'))?.value, { list: [1] });
  });
});
