/** The mass-kill guard's sliding window over recent deployments, as a pure decision. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { windowedMassKillCheck, type KillWindow, type PastKills } from '../../src/plan/guard.js';
import type { JobChange } from '../../src/plan/types.js';

const HOUR = 3_600_000;
const NOW = 100 * HOUR;
const WINDOW: KillWindow = { commits: 10, ms: 24 * HOUR };

function change(job: string, action: JobChange['action'], live: number): JobChange {
  const instances = {
    add: [],
    update: [],
    remove: [],
    unchanged: [],
    heal: [],
  } as unknown as JobChange['instances'];
  const tasks = Array.from({ length: live }, (_, i) => `${job}-${i}`);
  if (action === 'noop') instances.unchanged = tasks.map((_, i) => i);
  return { job, action, instances, killTasks: action === 'noop' ? [] : tasks, deferred: [], diff: [] };
}

/** A plan over `running` jobs that kills `killing` of them and leaves the rest. */
function planKilling(killing: number, running: number): { changes: JobChange[] } {
  return {
    changes: Array.from({ length: running }, (_, i) => change(`job${i}`, i < killing ? 'kill' : 'noop', 1)),
  };
}

const past = (killed: number, hoursAgo = 1, allowed = false): PastKills => ({
  at: NOW - hoursAgo * HOUR,
  killed,
  allowed,
});

describe('mass-kill window', () => {
  const cases: {
    name: string;
    killing: number;
    running: number;
    past: PastKills[];
    window?: KillWindow;
    refused: boolean;
  }[] = [
    { name: 'a plan that kills nothing', killing: 0, running: 51, past: [past(50)], refused: false },
    {
      name: 'no earlier kills: the per-plan guard decides alone',
      killing: 50,
      running: 101,
      past: [],
      refused: false,
    },
    {
      name: 'the second slice of a salami deletion (50 then 25 of 101)',
      killing: 25,
      running: 51,
      past: [past(50)],
      refused: true,
    },
    {
      name: 'exactly half over the window is allowed',
      killing: 1,
      running: 5,
      past: [past(3)],
      refused: false,
    },
    {
      name: 'kills older than the window do not count',
      killing: 25,
      running: 51,
      past: [past(50, 25)],
      refused: false,
    },
    {
      name: "kills further back than the window's commits do not count",
      killing: 25,
      running: 51,
      past: [...Array.from({ length: 10 }, () => past(0)), past(50)],
      refused: false,
    },
    {
      name: 'the window starts after a mass kill an operator allowed',
      killing: 2,
      running: 6,
      past: [past(1), past(90, 2, true), past(5, 3)],
      refused: false,
    },
    {
      name: 'a window of 0 commits is off',
      killing: 25,
      running: 51,
      past: [past(50)],
      window: { commits: 0, ms: WINDOW.ms },
      refused: false,
    },
  ];
  for (const c of cases) {
    it(`${c.refused ? 'refuses' : 'allows'} ${c.name}`, () => {
      const verdict = windowedMassKillCheck(
        planKilling(c.killing, c.running),
        c.past,
        c.window ?? WINDOW,
        NOW,
      );
      assert.equal(verdict !== undefined, c.refused, JSON.stringify(verdict));
    });
  }

  it('stops every slice of 101 → 1 after the first, saying what it counts in one line', () => {
    let running = 101;
    const history: PastKills[] = [];
    const refusals: string[] = [];
    for (const killing of [50, 25, 13, 6, 3, 2, 1]) {
      const verdict = windowedMassKillCheck(planKilling(killing, running), history, WINDOW, NOW);
      if (verdict) {
        refusals.push(verdict.message);
        continue;
      }
      history.unshift(past(killing, 0));
      running -= killing;
    }
    assert.equal(running, 51, 'only the first slice was applied');
    assert.equal(refusals.length, 6);
    assert.equal(
      refusals[0],
      'this plan and 1 recent deployment(s) would kill 75 of 101 running jobs within the last 10 deployments (24 h); pass --allow-mass-kill if that is intended',
    );
  });
});
