/** The small I/O helpers: per-key serialisation, port allocation, /proc parsing. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KeyedSerializer } from '../../../src/cluster/local/keyed-serializer.js';
import { allocatePorts, assignPorts } from '../../../src/cluster/local/ports.js';
import { isSameProcessAlive, parseProcStat, processStartTime } from '../../../src/util/proc.js';

describe('KeyedSerializer', () => {
  it('never overlaps two jobs of one key and folds a burst into one follow-up', async () => {
    const serializer = new KeyedSerializer<number>();
    let active = 0;
    let overlapped = false;
    let runs = 0;
    const job = async (): Promise<number> => {
      active += 1;
      overlapped ||= active > 1;
      await new Promise((resolve) => setTimeout(resolve, 10));
      active -= 1;
      runs += 1;
      return runs;
    };
    const results = await Promise.all([1, 2, 3, 4].map(() => serializer.run('k', job)));
    assert.equal(overlapped, false);
    assert.deepEqual(results, [1, 2, 2, 2]);
  });
});

describe('ports', () => {
  it('allocates distinct free ports and assigns them by name', async () => {
    const ports = await allocatePorts(5);
    assert.equal(new Set(ports).size, 5);
    assert.deepEqual(assignPorts(['a', 'b'], [1, 2]), { a: 1, b: 2 });
    assert.throws(() => assignPorts(['a'], []));
  });
});

describe('/proc', () => {
  it('parses stat lines whose command name holds spaces and parentheses', () => {
    const fields = Array.from({ length: 50 }, (_, i) => String(i + 3));
    fields[0] = 'S';
    assert.deepEqual(parseProcStat(`12 (a (b) c) ${fields.join(' ')}`), {
      state: 'S',
      pgid: 5,
      startTime: '22',
    });
  });

  it('identifies this process by pid and start time', () => {
    const startTime = processStartTime(process.pid);
    assert.ok(startTime !== undefined);
    assert.equal(isSameProcessAlive(process.pid, startTime), true);
    assert.equal(isSameProcessAlive(process.pid, `${startTime}0`), false);
  });
});
