import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Detection, Drift } from '../../src/drift/detect.js';
import { nextTransition, type OpenDrift } from '../../src/drift/transitions.js';

const REMINDER = 3_600_000;
const drift = (kind: Drift['kind'], instance = 0, detail = `${kind} detail`): Drift => ({
  id: `${kind}:web/${instance}`,
  kind,
  job: 'web',
  instance,
  detail,
  since: 100,
});
const opened = (d: Drift, at: number, notifiedAt = at): OpenDrift => ({ ...d, openedAt: at, notifiedAt });
const detection = (present: Drift[], pending: string[] = []): Detection => ({ present, pending });

/** Runs the detections in order and returns every announced change as `status kind`. */
function announce(steps: [number, Detection][]): string[] {
  let open: OpenDrift[] = [];
  const said: string[] = [];
  for (const [now, seen] of steps) {
    const next = nextTransition(open, seen, now, REMINDER);
    open = next.open;
    said.push(...next.changes.map((c) => `${c.status} ${c.drift.kind}:${c.drift.instance}`));
  }
  return said;
}

describe('nextTransition', () => {
  it('announces a drift once when it opens and once when it resolves', () => {
    assert.deepEqual(
      announce([
        [1_000, detection([drift('missing')])],
        [2_000, detection([drift('missing')])],
        [3_000, detection([drift('missing')])],
        [4_000, detection([])],
        [5_000, detection([])],
      ]),
      ['opened missing:0', 'resolved missing:0'],
    );
  });

  it('reminds no more often than the reminder interval', () => {
    assert.deepEqual(
      announce([
        [0, detection([drift('config')])],
        [REMINDER - 1, detection([drift('config')])],
        [REMINDER, detection([drift('config')])],
        [REMINDER + 10, detection([drift('config')])],
        [2 * REMINDER, detection([drift('config')])],
      ]),
      ['opened config:0', 'reminder config:0', 'reminder config:0'],
    );
  });

  it('leaves a pending drift as it is: open stays open, closed stays closed', () => {
    assert.deepEqual(
      announce([
        [0, detection([], ['missing:web/0'])],
        [1_000, detection([drift('missing')])],
        [2_000, detection([], ['missing:web/0'])],
        [3_000, detection([], ['missing:web/0'])],
        [4_000, detection([])],
      ]),
      ['opened missing:0', 'resolved missing:0'],
    );
  });

  it("absorbs a flapping instance's missing drift without a word", () => {
    assert.deepEqual(
      announce([
        [0, detection([drift('missing')])],
        [1_000, detection([], ['missing:web/0'])],
        [2_000, detection([drift('missing'), drift('flapping')])],
        [3_000, detection([drift('flapping')], ['missing:web/0'])],
        [4_000, detection([], ['flapping:web/0', 'missing:web/0'])],
        [5_000, detection([])],
      ]),
      ['opened missing:0', 'opened flapping:0', 'resolved flapping:0'],
    );
  });

  it('keeps identities apart: another instance is another drift', () => {
    assert.deepEqual(
      announce([
        [0, detection([drift('missing', 0), drift('missing', 1)])],
        [1, detection([drift('missing', 1)])],
      ]),
      ['opened missing:0', 'opened missing:1', 'resolved missing:0'],
    );
  });

  it('keeps when a drift began and the latest detail', () => {
    const first = nextTransition([], detection([drift('missing')]), 1_000, REMINDER);
    const later = nextTransition(
      first.open,
      detection([{ ...drift('missing', 0, 'newer detail'), since: 900 }]),
      2_000,
      REMINDER,
    );
    assert.equal(later.open[0]?.since, 100, 'since is kept from the opening');
    assert.equal(later.open[0]?.detail, 'newer detail');
    assert.equal(later.open[0]?.openedAt, 1_000);
  });

  it('resolves, with its own fields only, what is open and no longer seen', () => {
    const result = nextTransition([opened(drift('unexpected', 5), 0)], detection([]), 10, REMINDER);
    assert.deepEqual(result.changes, [{ status: 'resolved', drift: drift('unexpected', 5) }]);
    assert.deepEqual(result.open, []);
  });
});
