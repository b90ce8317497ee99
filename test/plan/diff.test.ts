import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { diffConfigs, equalJson } from '../../src/plan/diff.js';

/** The same value with every object's keys in reverse order. */
function reordered(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reordered);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value)
      .reverse()
      .map(([key, item]) => [key, reordered(item)]),
  );
}

/** JSON text with every object's keys sorted: equal values, equal text. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (typeof value !== 'object' || value === null) return JSON.stringify(value);
  const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonical(item)}`).join(',')}}`;
}

describe('diffConfigs and equalJson', () => {
  it('finds no change exactly when the values are equal as JSON, whatever the key order', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.jsonValue(), (a, b) => {
        assert.equal(equalJson(a, reordered(a)), true);
        assert.deepEqual(diffConfigs(a, reordered(a)), []);
        const equal = canonical(a) === canonical(b);
        assert.equal(equalJson(a, b), equal);
        assert.equal(diffConfigs(a, b).length === 0, equal);
      }),
    );
  });

  it('names each changed field by its dotted path', () => {
    const from = { instances: 2, task: { processes: [{ name: 'a', cmdline: 'x' }], resources: { cpu: 1 } } };
    const to = { instances: 3, task: { processes: [{ name: 'a', cmdline: 'y' }], resources: { cpu: 1 } } };
    assert.deepEqual(diffConfigs(from, to), [
      { path: 'instances', from: 2, to: 3 },
      { path: 'task.processes[0].cmdline', from: 'x', to: 'y' },
    ]);
  });

  it('a key named like an inherited property (constructor, toString) is added, not changed', () => {
    assert.deepEqual(diffConfigs({ metadata: {} }, { metadata: { constructor: 'a', toString: 'b' } }), [
      { path: 'metadata.constructor', to: 'a' },
      { path: 'metadata.toString', to: 'b' },
    ]);
  });

  const cases: [string, unknown, unknown, boolean][] = [
    ['numbers', 1, 1, true],
    ['number and string', 1, '1', false],
    ['null and object', null, {}, false],
    ['array and object', [], {}, false],
    ['arrays of different length', [1], [1, 2], false],
    ['a missing key', { a: 1 }, { a: 1, b: 2 }, false],
    ['same keys, other order', { a: 1, b: [2, { c: 3 }] }, { b: [2, { c: 3 }], a: 1 }, true],
  ];
  for (const [name, a, b, expected] of cases)
    it(`equalJson: ${name}`, () => assert.equal(equalJson(a, b), expected));
});
