import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { groupBy } from '../../src/util/group-by.js';

describe('groupBy', () => {
  it('groups in order and leaves out items whose key is undefined', () => {
    const words = ['apple', 'bean', 'avocado', 'corn', 'banana'];
    const groups = groupBy(words, (word) => (word === 'corn' ? undefined : word[0]));
    assert.deepEqual(
      [...groups],
      [
        ['a', ['apple', 'avocado']],
        ['b', ['bean', 'banana']],
      ],
    );
  });
});
