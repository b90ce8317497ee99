import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { MesosOffer } from '../../../src/cluster/mesos/offer.js';
import type { Launch } from '../../../src/cluster/mesos/placement.js';
import { SpreadPatience } from '../../../src/cluster/mesos/spread-patience.js';

const offerFrom = (agent: string): MesosOffer => ({
  id: { value: `o-${agent}` },
  agent_id: { value: agent },
  hostname: agent,
  resources: [],
});

const launch = (instance: number, crowded: boolean): Launch =>
  ({ instance: { jobId: 'west/www/prod/web', instance }, crowded }) as unknown as Launch;

const key = (instance: number) => `west/www/prod/web#${instance}`;

describe('SpreadPatience', () => {
  it('launches crowded when every agent it has seen is offered', () => {
    const patience = new SpreadPatience(2_000);
    assert.deepEqual([...patience.hold([launch(0, false), launch(1, true)], [offerFrom('a1')], 0)], []);
  });

  it('holds a crowded launch while agents seen before are missing, until patience ends', () => {
    const patience = new SpreadPatience(2_000);
    patience.hold([], [offerFrom('a1'), offerFrom('a2')], 0);
    const partial = [offerFrom('a1')];
    assert.deepEqual([...patience.hold([launch(1, true), launch(2, false)], partial, 100)], [key(1)]);
    assert.deepEqual([...patience.hold([launch(1, true)], partial, 1_000)], [key(1)], 'still patient');
    assert.deepEqual([...patience.hold([launch(1, true)], partial, 2_100)], [], 'patience spent');
  });

  it('does not wait when more launches are crowded than agents are missing', () => {
    const patience = new SpreadPatience(2_000);
    patience.hold([], [offerFrom('a1'), offerFrom('a2')], 0);
    const held = patience.hold([launch(1, true), launch(2, true)], [offerFrom('a1')], 100);
    assert.deepEqual([...held], []);
  });

  it('starts patience afresh for an instance that launched, but not for one left unplaced', () => {
    const patience = new SpreadPatience(2_000);
    patience.hold([], [offerFrom('a1'), offerFrom('a2')], 0);
    const partial = [offerFrom('a1')];
    patience.hold([launch(1, true)], partial, 0);
    patience.hold([launch(1, false)], [offerFrom('a2')], 500); // launched uncrowded
    assert.deepEqual([...patience.hold([launch(1, true)], partial, 600)], [key(1)]);
    patience.hold([launch(3, true)], partial, 0);
    patience.hold([], partial, 2_500); // not placeable for a while
    assert.deepEqual([...patience.hold([launch(3, true)], partial, 2_600)], []);
  });

  it('stops waiting for an agent missing from many cycles over a while: removed, or full', () => {
    const patience = new SpreadPatience(2_000, 30_000);
    patience.hold([], [offerFrom('a1'), offerFrom('a2')], 0);
    const withoutA2 = [offerFrom('a1')];
    for (let second = 1; second <= 29; second++) patience.hold([], withoutA2, second * 1_000);
    assert.deepEqual([...patience.hold([launch(1, true)], withoutA2, 29_500)], [key(1)], 'a2 may come back');
    patience.hold([launch(1, false)], withoutA2, 29_800); // launched elsewhere
    assert.deepEqual([...patience.hold([launch(2, true)], withoutA2, 30_000)], [], 'a2 is forgotten');
    assert.deepEqual([...patience.hold([launch(2, true)], withoutA2, 30_100)], [], 'and stays forgotten');
    patience.hold([], [offerFrom('a2')], 31_000); // back after all
    assert.deepEqual([...patience.hold([launch(3, true)], withoutA2, 31_100)], [key(3)], 'seen again');
  });

  it('does not age an agent while no offers come: between launches offers are suppressed', () => {
    const patience = new SpreadPatience(2_000, 30_000);
    patience.hold([], [offerFrom('a1'), offerFrom('a2')], 0);
    patience.hold([], [offerFrom('a1')], 1_000);
    // A minute without cycles, then a launch whose first cycle shows only a1.
    assert.deepEqual([...patience.hold([launch(1, true)], [offerFrom('a1')], 61_000)], [key(1)]);
  });
});
