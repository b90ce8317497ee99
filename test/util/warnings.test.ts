/** The warning sink: one per process, set by its entry point; a message met on every pass is said once. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { onceEach, setWarningSink, warn } from '../../src/util/warnings.js';

describe('warnings', () => {
  it('go to the sink an entry point set, until it is put back', () => {
    const heard: string[] = [];
    const restore = setWarningSink((message) => heard.push(message));
    try {
      warn('first');
    } finally {
      restore();
    }
    const after: string[] = [];
    const restoreAfter = setWarningSink((message) => after.push(message));
    warn('second');
    restoreAfter();
    assert.deepEqual(heard, ['first']);
    assert.deepEqual(after, ['second']);
  });

  it('onceEach passes each distinct message on once', () => {
    const heard: string[] = [];
    const sink = onceEach((message) => heard.push(message));
    for (const message of ['a', 'b', 'a', 'a', 'b', 'c']) sink(message);
    assert.deepEqual(heard, ['a', 'b', 'c']);
  });
});
