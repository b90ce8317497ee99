/**
 * The contract every `StateStore` backend must pass (as unstorage's `testDriver` does for
 * its drivers). `open` returns a fresh, empty store for each test and a way to remove it.
 *
 *   testStateStore('FileStateStore', async () => { ... return { store, cleanup }; });
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  decodeKeySegment,
  encodeKeySegment,
  StateConflictError,
  type StateStore,
} from '../../src/state/types.js';

export interface OpenedStore {
  store: StateStore;
  cleanup: () => Promise<void>;
}

const NESTED = {
  unicode: 'Zürich — 東京 — 🚀 — "quotes" \\ back\nslash',
  numbers: [0, -1, 1.5, -2.25e-7, 1e300, Number.MAX_SAFE_INTEGER],
  nothing: null,
  flags: [true, false],
  empty: { list: [], map: {}, text: '' },
  deep: { a: { b: { c: [[1, [2, [3]]], { d: 'e' }] } } },
};

function isConflict(key: string, expected: number | null, actual: number | null) {
  return (error: unknown): boolean => {
    assert.ok(error instanceof StateConflictError, `expected StateConflictError, got ${String(error)}`);
    assert.deepEqual(
      { key: error.key, expected: error.expected, actual: error.actual },
      { key, expected, actual },
    );
    return true;
  };
}

export function testStateStore(name: string, open: () => Promise<OpenedStore>): void {
  /** Runs `use` on a fresh store and always cleans it up. */
  async function withStore(use: (store: StateStore) => Promise<void>): Promise<void> {
    const { store, cleanup } = await open();
    try {
      await use(store);
    } finally {
      await store.close();
      await cleanup();
    }
  }

  describe(`${name} (StateStore contract)`, () => {
    describe('get and put', () => {
      it('reads a missing key as null, at any depth', () =>
        withStore(async (store) => {
          assert.equal(await store.get('missing'), null);
          assert.equal(await store.get('a/b/c'), null);
        }));

      it('reads several keys at once, in order, missing ones as null, as get reads each', () =>
        withStore(async (store) => {
          const keys = Array.from({ length: 40 }, (_, i) => `many/k${i}`);
          for (const [i, key] of keys.entries()) if (i % 3 !== 0) await store.put(key, { i });
          await store.put('many/k1', { i: 1, again: true });
          const asked = [...keys, 'many/k1', 'missing/deep/key'];
          const one = await Promise.all(asked.map((key) => store.get(key)));
          assert.deepEqual(await store.getMany(asked), one);
          assert.equal(one.filter((entry) => entry === null).length, 15);
          assert.deepEqual(await store.getMany([]), []);
          await assert.rejects(store.getMany(['many/k2', 'a//b']), /invalid state key/);
        }));

      it('round-trips nested JSON and top-level scalars', () =>
        withStore(async (store) => {
          const values: [string, unknown][] = [
            ['nested', NESTED],
            ['string', 'just text'],
            ['number', 42.5],
            ['null', null],
            ['array', [1, 'two', null, { three: 3 }]],
            ['boolean', false],
          ];
          for (const [key, value] of values) await store.put(`values/${key}`, value);
          for (const [key, value] of values)
            assert.deepEqual(await store.get(`values/${key}`), { version: 0, value });
        }));

      it('starts versions at 0 and adds 1 with every write, also of an unchanged value', () =>
        withStore(async (store) => {
          assert.equal(await store.put('counter', 'a'), 0);
          assert.equal(await store.put('counter', 'a'), 1);
          assert.equal(await store.put('counter', 'b'), 2);
          assert.deepEqual(await store.get('counter'), { version: 2, value: 'b' });
        }));

      it('rejects values JSON cannot hold, writing nothing', () =>
        withStore(async (store) => {
          await assert.rejects(store.put('bad', undefined), TypeError);
          await assert.rejects(store.transaction([{ op: 'put', key: 'bad', value: () => 1 }]), TypeError);
          assert.equal(await store.get('bad'), null);
        }));

      it('round-trips a value of about 2 MB', () =>
        withStore(async (store) => {
          const big = {
            text: Array.from({ length: 25_000 }, (_, i) => `line ${i} ✓ ${'x'.repeat(i % 100)}`).join('\n'),
            numbers: Array.from({ length: 50_000 }, (_, i) => i * 1.5),
          };
          assert.ok(Buffer.byteLength(JSON.stringify(big)) > 1_900_000);
          await store.put('big', big);
          assert.deepEqual(await store.get('big'), { version: 0, value: big });
        }));
    });

    describe('conditional writes', () => {
      it('puts when the expected version matches and conflicts, unchanged, when it does not', () =>
        withStore(async (store) => {
          await store.put('k', 'v0');
          assert.equal(await store.put('k', 'v1', 0), 1);
          await assert.rejects(store.put('k', 'stale', 0), isConflict('k', 0, 1));
          await assert.rejects(store.put('missing', 'x', 3), isConflict('missing', 3, null));
          assert.deepEqual(await store.get('k'), { version: 1, value: 'v1' });
          assert.equal(await store.get('missing'), null);
        }));

      it('treats expectedVersion null as create-only', () =>
        withStore(async (store) => {
          assert.equal(await store.put('once', 'first', null), 0);
          await assert.rejects(store.put('once', 'second', null), isConflict('once', null, 0));
          assert.deepEqual(await store.get('once'), { version: 0, value: 'first' });
        }));

      it('deletes conditionally; a missing key is only an error when a version is expected', () =>
        withStore(async (store) => {
          await store.put('k', 'v0');
          await store.put('k', 'v1');
          await assert.rejects(store.delete('k', 0), isConflict('k', 0, 1));
          assert.deepEqual(await store.get('k'), { version: 1, value: 'v1' });
          await store.delete('k', 1);
          assert.equal(await store.get('k'), null);
          await store.delete('k');
          await assert.rejects(store.delete('k', 1), isConflict('k', 1, null));
        }));

      it('starts again at version 0 after a delete', () =>
        withStore(async (store) => {
          await store.put('k', 'a');
          await store.put('k', 'b');
          await store.delete('k');
          assert.equal(await store.put('k', 'c', null), 0);
        }));

      it('lets exactly one of 20 concurrent writers expecting the same version win', () =>
        withStore(async (store) => {
          await store.put('race', 'start');
          const results = await Promise.allSettled(
            Array.from({ length: 20 }, (_, i) => store.put('race', `writer ${i}`, 0)),
          );
          const winners = results.flatMap((result, i) => (result.status === 'fulfilled' ? [i] : []));
          assert.equal(winners.length, 1);
          for (const result of results) {
            if (result.status === 'rejected') assert.ok(result.reason instanceof StateConflictError);
          }
          assert.deepEqual(await store.get('race'), { version: 1, value: `writer ${winners[0]}` });
        }));

      it('lets exactly one of 20 concurrent create-only writers win', () =>
        withStore(async (store) => {
          const results = await Promise.allSettled(
            Array.from({ length: 20 }, (_, i) => store.put('create', i, null)),
          );
          assert.equal(results.filter((result) => result.status === 'fulfilled').length, 1);
          assert.equal((await store.get('create'))?.version, 0);
        }));

      it('gives 20 concurrent unconditional writes 20 distinct versions (no lost update)', () =>
        withStore(async (store) => {
          const versions = await Promise.all(Array.from({ length: 20 }, (_, i) => store.put('many', i)));
          assert.deepEqual(
            [...versions].sort((a, b) => a - b),
            Array.from({ length: 20 }, (_, i) => i),
          );
          assert.equal((await store.get('many'))?.version, 19);
        }));
    });

    describe('keys and list', () => {
      it('lists direct children sorted, at every level, each name once', () =>
        withStore(async (store) => {
          for (const key of ['c/x', 'b/d/f', 'a', 'b/d/e', 'b/c', 'b', 'B', '10', '9'])
            await store.put(key, key);
          assert.deepEqual(await store.list(''), ['10', '9', 'B', 'a', 'b', 'c']);
          assert.deepEqual(await store.list('b'), ['c', 'd']);
          assert.deepEqual(await store.list('b/d'), ['e', 'f']);
          assert.deepEqual(await store.list('a'), []);
          assert.deepEqual(await store.list('missing/prefix'), []);
        }));

      it('stops listing a prefix once its last key is deleted', () =>
        withStore(async (store) => {
          await store.put('jobs/a/progress', 1);
          await store.put('other', 1);
          await store.delete('jobs/a/progress');
          assert.deepEqual(await store.list(''), ['other']);
          assert.deepEqual(await store.list('jobs'), []);
        }));

      it('stores keys with encoded segments such as job ids and lists them back', () =>
        withStore(async (store) => {
          const ids = ['local/www-data/prod/hello', 'local/www-data/prod/hëllo wörld', 'x/y/z/100%'];
          for (const id of ids) await store.put(`jobs/${encodeKeySegment(id)}`, { id });
          for (const id of ids)
            assert.deepEqual((await store.get(`jobs/${encodeKeySegment(id)}`))?.value, { id });
          const listed = (await store.list('jobs')).map(decodeKeySegment);
          assert.deepEqual(listed, ids.map(encodeKeySegment).sort().map(decodeKeySegment));
          await store.put('odd/a.b~c_d-e%41', 'ok');
          assert.deepEqual(await store.list('odd'), ['a.b~c_d-e%41']);
        }));

      it('rejects invalid keys in every operation, writing nothing', () =>
        withStore(async (store) => {
          const invalid = ['', '/a', 'a/', 'a//b', '.', '..', 'a/../b', 'a b', 'a/b?', 'a\\b', 'ä'];
          for (const key of invalid) {
            await assert.rejects(store.get(key), /invalid state key/, `get ${JSON.stringify(key)}`);
            await assert.rejects(store.put(key, 1), /invalid state key/, `put ${JSON.stringify(key)}`);
            await assert.rejects(store.delete(key), /invalid state key/, `delete ${JSON.stringify(key)}`);
            await assert.rejects(
              store.transaction([
                { op: 'put', key: 'fine', value: 1 },
                { op: 'put', key, value: 1 },
              ]),
              /invalid state key/,
            );
            if (key !== '')
              await assert.rejects(store.list(key), /invalid state key/, `list ${JSON.stringify(key)}`);
          }
          assert.deepEqual(await store.list(''), []);
        }));
    });

    describe('transactions', () => {
      it('applies every operation', () =>
        withStore(async (store) => {
          await store.put('applied', 'c1');
          await store.put('gone', 'x');
          await store.put('guard', 'g');
          await store.transaction([
            { op: 'check', key: 'guard', expectedVersion: 0 },
            { op: 'put', key: 'applied', value: 'c2', expectedVersion: 0 },
            { op: 'put', key: 'deployments/1', value: { commit: 'c2' }, expectedVersion: null },
            { op: 'delete', key: 'gone', expectedVersion: 0 },
          ]);
          assert.deepEqual(await store.get('applied'), { version: 1, value: 'c2' });
          assert.deepEqual(await store.get('deployments/1'), { version: 0, value: { commit: 'c2' } });
          assert.equal(await store.get('gone'), null);
          assert.deepEqual(await store.get('guard'), { version: 0, value: 'g' });
        }));

      it('applies nothing when one condition fails, wherever it is', () =>
        withStore(async (store) => {
          await store.put('applied', 'c1');
          await store.put('guard', 'g');
          await store.put('gone', 'x');
          const before = await Promise.all(['applied', 'guard', 'gone', 'new'].map((key) => store.get(key)));
          await assert.rejects(
            store.transaction([
              { op: 'put', key: 'applied', value: 'c2', expectedVersion: 0 },
              { op: 'put', key: 'new', value: 1 },
              { op: 'delete', key: 'gone' },
              { op: 'check', key: 'guard', expectedVersion: 5 },
            ]),
            isConflict('guard', 5, 0),
          );
          await assert.rejects(
            store.transaction([
              { op: 'put', key: 'new', value: 1 },
              { op: 'put', key: 'applied', value: 'c2', expectedVersion: null },
              { op: 'delete', key: 'gone' },
            ]),
            isConflict('applied', null, 0),
          );
          const after = await Promise.all(['applied', 'guard', 'gone', 'new'].map((key) => store.get(key)));
          assert.deepEqual(after, before);
        }));

      it('lets each operation see the effect of the earlier ones', () =>
        withStore(async (store) => {
          await store.transaction([
            { op: 'put', key: 'k', value: 'a', expectedVersion: null },
            { op: 'check', key: 'k', expectedVersion: 0 },
            { op: 'put', key: 'k', value: 'b', expectedVersion: 0 },
          ]);
          assert.deepEqual(await store.get('k'), { version: 1, value: 'b' });
          await store.transaction([
            { op: 'delete', key: 'k' },
            { op: 'check', key: 'k', expectedVersion: null },
          ]);
          assert.equal(await store.get('k'), null);
        }));

      it('accepts an empty transaction and one of only checks', () =>
        withStore(async (store) => {
          await store.transaction([]);
          await store.transaction([{ op: 'check', key: 'nothing', expectedVersion: null }]);
          await assert.rejects(
            store.transaction([{ op: 'check', key: 'nothing', expectedVersion: 0 }]),
            isConflict('nothing', 0, null),
          );
          assert.deepEqual(await store.list(''), []);
        }));
    });
  });
}
