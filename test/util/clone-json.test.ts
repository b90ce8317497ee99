import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { cloneJson } from '../../src/util/clone-json.js';

/** Every object reachable from a value. */
function objectsOf(value: unknown, found = new Set<object>()): Set<object> {
  if (value !== null && typeof value === 'object' && !found.has(value)) {
    found.add(value);
    for (const item of Object.values(value)) objectsOf(item, found);
  }
  return found;
}

describe('cloneJson', () => {
  it('copies any JSON value to an equal one that shares no object with it', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const copy = cloneJson(value);
        assert.deepStrictEqual(copy, value);
        const originals = objectsOf(value);
        for (const object of objectsOf(copy)) assert.ok(!originals.has(object), 'an object was shared');
      }),
      { numRuns: 300 },
    );
  });

  it('gives a map each place a YAML alias shared it, so defaults filled into one do not reach the other', () => {
    const shared = { a: '1' };
    const copy = cloneJson({ env: shared, metadata: shared });
    assert.notEqual(copy.env, copy.metadata);
    assert.deepEqual(copy, { env: { a: '1' }, metadata: { a: '1' } });
  });

  it('copies a value that refers to itself, as structuredClone does', () => {
    const value: Record<string, unknown> = { name: 'loop' };
    value.self = value;
    const copy = cloneJson(value);
    assert.notEqual(copy, value);
    assert.equal(copy.self, copy);
  });

  it('keeps a key written __proto__ as an own key, not as the prototype', () => {
    const value = JSON.parse('{"__proto__": {"polluted": true}, "a": 1}') as Record<string, unknown>;
    const copy = cloneJson(value);
    assert.equal(Object.getPrototypeOf(copy), Object.prototype);
    assert.deepEqual(Object.keys(copy), ['__proto__', 'a']);
    assert.equal((copy as { polluted?: boolean }).polluted, undefined);
  });

  it('leaves values that are not plain data to structuredClone', () => {
    const value = { when: new Date(0), list: [new Map([['k', 1]])] };
    const copy = cloneJson(value);
    assert.ok(copy.when instanceof Date && copy.when !== value.when);
    assert.deepEqual(copy, value);
  });
});
