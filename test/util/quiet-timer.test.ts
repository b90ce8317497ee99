import assert from 'node:assert/strict';
import { describe, it, mock } from 'node:test';
import { QuietTimer } from '../../src/util/quiet-timer.js';

describe('QuietTimer', () => {
  it('calls back once per burst, after the burst has been quiet long enough', () => {
    mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 0 });
    try {
      let calls = 0;
      const timer = new QuietTimer(1_000, () => calls++);
      timer.poke();
      mock.timers.tick(600);
      timer.poke(); // the burst goes on
      mock.timers.tick(600);
      assert.equal(calls, 0, 'only 600 ms since the last event');
      mock.timers.tick(400);
      assert.equal(calls, 1);
      mock.timers.tick(5_000);
      assert.equal(calls, 1, 'nothing more without new events');
      timer.poke();
      timer.stop();
      mock.timers.tick(5_000);
      assert.equal(calls, 1, 'stopped');
    } finally {
      mock.timers.reset();
    }
  });
});
