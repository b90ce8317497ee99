/**
 * The pure parts of the ZooKeeper state store: what a znode holds (`node-data.ts`) and
 * how operations become one multi pinned to what was read (`plan.ts`).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StateConflictError, StateCorruptError, type StateOperation } from '../../src/state/types.js';
import { decodeValue, encodeValue } from '../../src/state/zookeeper/node-data.js';
import { buildTransaction, type KeyNode, type Payload } from '../../src/state/zookeeper/transaction.js';

const json = (value: unknown) => Buffer.from(JSON.stringify(value));
const inline = (value: unknown): Payload => ({ inline: json(value), chunks: null, chunkPaths: [] });
const missing = (path: string): KeyNode => ({ path, zkVersion: -1, value: null, numChildren: 0 });
const bare = (path: string, zkVersion: number, numChildren = 1): KeyNode => ({
  path,
  zkVersion,
  value: null,
  numChildren,
});
const holding = (path: string, zkVersion: number, base = 0, numChildren = 0): KeyNode => ({
  path,
  zkVersion,
  value: { base, inline: json('x'), chunks: null },
  numChildren,
});

function plan(operations: StateOperation[], read: Record<string, KeyNode>) {
  const payloads = new Map<number, Payload>();
  operations.forEach((operation, index) => {
    if (operation.op === 'put') payloads.set(index, inline(operation.value));
  });
  return buildTransaction(operations, new Map(Object.entries(read)), payloads, () => []);
}

describe('ZooKeeper node data', () => {
  it('stores a plain value as its JSON, and an envelope only for a version base or chunks', () => {
    assert.equal(encodeValue({ base: 0, inline: json({ a: 1 }), chunks: null }).toString(), '{"a":1}');
    const withBase = encodeValue({ base: 3, inline: json('v'), chunks: null });
    assert.equal(withBase.toString(), '#borealis {"base":3}\n"v"');
    assert.deepEqual(decodeValue('k', '/k', withBase), { base: 3, inline: json('v'), chunks: null });
    const manifest = { id: 'w-1', count: 2, bytes: 10, sha256: 'a'.repeat(64) };
    const chunked = encodeValue({ base: 0, inline: null, chunks: manifest });
    assert.deepEqual(decodeValue('k', '/k', chunked), { base: 0, inline: null, chunks: manifest });
    assert.equal(decodeValue('k', '/k', Buffer.alloc(0)), null, 'a bare prefix znode');
  });

  it('reports an envelope it cannot read as corrupt', () => {
    for (const text of [
      '#borealis {"base":-1}\n1',
      '#borealis nope\n1',
      '#borealis {}',
      '#borealis {"chunks":{}}\n',
    ]) {
      assert.throws(() => decodeValue('k', '/k', Buffer.from(text)), StateCorruptError, text);
    }
  });
});

describe('buildTransaction', () => {
  it('creates a missing key at version 0 and sets an existing one at the version read', () => {
    const created = plan([{ op: 'put', key: 'a', value: 1, expectedVersion: null }], { a: missing('/r/a') });
    assert.deepEqual(created.ops, [{ op: 'create', path: '/r/a', data: json(1) }]);
    assert.deepEqual([...created.versions], [[0, 0]]);
    const updated = plan([{ op: 'put', key: 'a', value: 2 }], { a: holding('/r/a', 4) });
    assert.deepEqual(updated.ops, [{ op: 'set', path: '/r/a', data: json(2), version: 4 }]);
    assert.deepEqual([...updated.versions], [[0, 5]]);
  });

  it('writes onto a bare znode with a base, so the key still starts at version 0', () => {
    const result = plan([{ op: 'put', key: 'b', value: 'v', expectedVersion: null }], { b: bare('/r/b', 2) });
    assert.deepEqual(result.ops, [
      { op: 'set', path: '/r/b', data: Buffer.from('#borealis {"base":3}\n"v"'), version: 2 },
    ]);
    assert.deepEqual([...result.versions], [[0, 0]]);
    const next = plan([{ op: 'put', key: 'b', value: 'w', expectedVersion: 0 }], {
      b: holding('/r/b', 3, 3, 1),
    });
    assert.deepEqual([...next.versions], [[0, 1]]);
  });

  it('checks conditions on the read, in order, each seeing the earlier operations', () => {
    assert.throws(
      () => plan([{ op: 'put', key: 'a', value: 1, expectedVersion: 1 }], { a: holding('/r/a', 5, 3) }),
      (error: unknown) => error instanceof StateConflictError && error.expected === 1 && error.actual === 2,
    );
    const result = plan(
      [
        { op: 'put', key: 'k', value: 'a', expectedVersion: null },
        { op: 'check', key: 'k', expectedVersion: 0 },
        { op: 'put', key: 'k', value: 'b', expectedVersion: 0 },
      ],
      { k: missing('/r/k') },
    );
    assert.deepEqual(
      result.ops.map((op) => [op.op, 'version' in op ? op.version : undefined]),
      [
        ['create', undefined],
        ['set', 0],
      ],
    );
  });

  it('pins keys only checked: a check op for a znode read, a create and remove for one missing', () => {
    const result = plan(
      [
        { op: 'check', key: 'here', expectedVersion: 2 },
        { op: 'check', key: 'gone', expectedVersion: null },
      ],
      { here: holding('/r/here', 2), gone: missing('/r/gone') },
    );
    assert.equal(result.writes, false);
    assert.deepEqual(result.ops, [
      { op: 'check', path: '/r/here', version: 2 },
      { op: 'create', path: '/r/gone' },
      { op: 'remove', path: '/r/gone', version: 0 },
    ]);
  });

  it('removes a deleted key’s znode, or leaves it bare while sub-keys need it', () => {
    const alone = plan([{ op: 'delete', key: 'a' }], { a: holding('/r/a', 1) });
    assert.deepEqual(alone.ops, [{ op: 'remove', path: '/r/a', version: 1 }]);
    assert.deepEqual(alone.removed, ['/r/a']);
    const withChildren = plan([{ op: 'delete', key: 'a' }], { a: holding('/r/a', 1, 0, 2) });
    assert.deepEqual(withChildren.ops, [{ op: 'set', path: '/r/a', data: Buffer.alloc(0), version: 1 }]);
    const beforeSubKey = plan(
      [
        { op: 'delete', key: 'a' },
        { op: 'put', key: 'a/b', value: 1 },
      ],
      { a: holding('/r/a', 1), 'a/b': missing('/r/a/b') },
    );
    assert.equal(beforeSubKey.ops[0]?.op, 'set', 'a/b is created under it in the same multi');
  });

  it('drops the chunks of a value it replaces and checks the chunks of the new one', () => {
    const manifest = { id: 'old', count: 2, bytes: 4, sha256: 'b'.repeat(64) };
    const read = new Map([
      ['a', { ...holding('/r/a', 0), value: { base: 0, inline: null, chunks: manifest } }],
    ]);
    const payload: Payload = {
      inline: null,
      chunks: { id: 'new', count: 1, bytes: 1, sha256: 'c'.repeat(64) },
      chunkPaths: ['/r/@chunks/a/new.0'],
    };
    const result = buildTransaction(
      [{ op: 'put', key: 'a', value: 'big' }],
      read,
      new Map([[0, payload]]),
      (_key, { id, count }) => Array.from({ length: count }, (_, i) => `/r/@chunks/a/${id}.${i}`),
    );
    assert.deepEqual(
      result.ops.map((op) => `${op.op} ${op.path}`),
      ['remove /r/@chunks/a/old.0', 'remove /r/@chunks/a/old.1', 'set /r/a', 'check /r/@chunks/a/new.0'],
    );
    assert.deepEqual([...result.chunkedKeys], ['a']);
  });
});
