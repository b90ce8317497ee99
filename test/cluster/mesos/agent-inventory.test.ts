import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AgentInventory } from '../../../src/cluster/mesos/agent-inventory.js';
import type { OperatorAgent } from '../../../src/cluster/mesos/operator-types.js';

/** A master whose answers the test releases one by one, so "slow" needs no sleep. */
class ScriptedMaster {
  asked: string[] = [];
  private answers: { resolve: (agents: OperatorAgent[]) => void; reject: (error: Error) => void }[] = [];

  fetch = (master: string): Promise<OperatorAgent[]> => {
    this.asked.push(master);
    return new Promise((resolve, reject) => this.answers.push({ resolve, reject }));
  };

  answer(label: string): void {
    this.answers.shift()!.resolve([{ agentId: label } as OperatorAgent]);
  }

  fail(): void {
    this.answers.shift()!.reject(new Error('master unreachable'));
  }
}

const ids = (agents: OperatorAgent[]) => agents.map((agent) => agent.agentId);

function setup(settleMs = 60_000) {
  const master = new ScriptedMaster();
  let now = 0;
  const inventory = new AgentInventory({
    fetch: master.fetch,
    now: () => now,
    freshMs: 30_000,
    patienceMs: 20,
    settleMs,
  });
  /** The first plan's listing: agent a1 on master m1. */
  const listed = async () => {
    const first = inventory.agents('m1');
    master.answer('a1');
    await first;
  };
  return { master, inventory, listed, advance: (ms: number) => (now += ms) };
}

describe('AgentInventory', () => {
  it('asks once for overlapping plans and reuses a fresh listing', async () => {
    const { master, inventory, advance } = setup();
    const both = Promise.all([inventory.agents('m1'), inventory.agents('m1')]);
    master.answer('a1');
    assert.deepEqual((await both).map(ids), [['a1'], ['a1']]);
    advance(29_000);
    assert.deepEqual(ids(await inventory.agents('m1')), ['a1']);
    assert.equal(master.asked.length, 1);
  });

  it('serves an old listing at once and keeps the refresh it starts', async () => {
    const { master, inventory, advance, listed } = setup();
    await listed();
    advance(31_000);
    assert.deepEqual(ids(await inventory.agents('m1')), ['a1'], 'the older listing, without waiting');
    assert.deepEqual(ids(await inventory.agents('m1')), ['a1'], 'one refresh at a time');
    assert.equal(master.asked.length, 2);
    master.answer('a2');
    await Promise.resolve();
    assert.deepEqual(ids(await inventory.agents('m1')), ['a2'], 'the answer is kept');
    advance(31_000);
    assert.deepEqual(ids(await inventory.agents('m1')), ['a2']);
    master.fail();
    await new Promise((resolve) => setImmediate(resolve)); // the failure has settled
    assert.deepEqual(ids(await inventory.agents('m1')), ['a2'], 'a failed refresh keeps the older listing');
    assert.equal(master.asked.length, 4, 'and the next plan asks again');
  });

  it('waits briefly for allocations it knows changed: the answer in time, else the older listing', async () => {
    const { master, inventory, listed } = setup();
    await listed();
    inventory.allocationChanged();
    const second = inventory.agents('m1');
    master.answer('a2');
    assert.deepEqual(ids(await second), ['a2'], 'in time');
    inventory.allocationChanged();
    assert.deepEqual(ids(await inventory.agents('m1')), ['a2'], 'slow: the older listing after the patience');
    master.answer('a3');
    await Promise.resolve();
    assert.deepEqual(ids(await inventory.agents('m1')), ['a3'], 'the late answer is kept');
    inventory.allocationChanged();
    const failing = inventory.agents('m1');
    master.fail();
    assert.deepEqual(ids(await failing), ['a3'], 'failed: the older listing');
    inventory.close();
  });

  it('primes a listing in the background, once per master', async () => {
    const { master, inventory } = setup();
    inventory.prime('m1');
    inventory.prime('m1');
    master.answer('a1');
    await Promise.resolve();
    assert.deepEqual(ids(await inventory.agents('m1')), ['a1']);
    inventory.prime('m1');
    assert.deepEqual(master.asked, ['m1']);
  });

  it('rejects when there is no listing to fall back to, and asks a new master afresh', async () => {
    const { master, inventory } = setup();
    const first = inventory.agents('m1');
    master.fail();
    await assert.rejects(first, /unreachable/);
    const fromM1 = inventory.agents('m1');
    master.answer('a1');
    await fromM1;
    const fromM2 = inventory.agents('m2');
    master.answer('b1');
    assert.deepEqual(ids(await fromM2), ['b1']);
    assert.deepEqual(master.asked, ['m1', 'm1', 'm2']);
  });

  it('refreshes in the background once allocations change, so the next plan does not wait', async () => {
    const { master, inventory, listed } = setup(1);
    await listed();
    inventory.allocationChanged();
    inventory.allocationChanged(); // changes in a burst are one refresh
    while (master.asked.length < 2) await new Promise((resolve) => setImmediate(resolve));
    master.answer('a2');
    await Promise.resolve();
    assert.deepEqual(ids(await inventory.agents('m1')), ['a2']);
    assert.equal(master.asked.length, 2);
    inventory.close();
  });
});
