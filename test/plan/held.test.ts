/**
 * A held update is a difference between the commit and the cluster: `plan` lists it with
 * its own marker and counts it for --detailed-exitcode, while a pass has nothing to carry
 * out for it (the daemon does not retry it). A commit back to what runs releases it.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hasChanges, hasWork, summaryLine, visibleChanges } from '../../src/plan/describe.js';
import { releasedHolds } from '../../src/plan/held.js';
import { plan } from '../../src/plan/planner.js';
import { renderText } from '../../src/plan/render-text.js';
import type { RecordedJob } from '../../src/plan/types.js';
import type { JobSpec } from '../../src/jobspec/types.js';
import { recorded, running, spec } from '../support/specs.js';

const process = (cmdline: string) => ({
  processes: [{ name: 'main', cmdline }],
  resources: { cpu: 0.1, ram: '16MiB', disk: '16MiB' },
});
const web = spec({ name: 'web', instances: 2, service: true, task: process('sleep 1000') });
const webBroken = spec({ name: 'web', instances: 2, service: true, task: process('exit 1') });
const COMMIT = 'feedc0ffee0123456789';

const heldRecord = (outcome: 'failed' | 'rolled_back', reason?: string): RecordedJob => ({
  ...recorded(web),
  held: { configHash: webBroken.configHash, commit: COMMIT, outcome, at: 0, ...(reason ? { reason } : {}) },
});
const planOf = (desired: JobSpec, record: RecordedJob, retryHeld = false) =>
  plan({
    commit: 'c3',
    cluster: 'local',
    desired: [desired],
    observed: running(web),
    recorded: [record],
    now: 0,
    retryHeld,
  });

describe('a held update in the plan', () => {
  it('is a difference with nothing to carry out', () => {
    const held = planOf(webBroken, heldRecord('rolled_back'));
    assert.equal(hasChanges(held), true, 'plan --detailed-exitcode exits 2');
    assert.equal(hasWork(held), false, 'a pass does nothing: no retry loop');
    assert.deepEqual(
      visibleChanges(held).map((change) => [change.job, change.action, change.held?.commit]),
      [[web.id, 'noop', COMMIT]],
    );
    assert.deepEqual(held.warnings, [], 'said once, in its entry');
  });

  it('is listed with ! and what to do about it', () => {
    const text = renderText(planOf(webBroken, heldRecord('rolled_back')));
    assert.match(
      text,
      new RegExp(
        `^ {2}! ${web.id}: held: the update to ${webBroken.configHash} from feedc0ffee01 failed and was rolled back; running ${web.configHash}; commit a change or run 'borealis reconcile' to retry$`,
        'm',
      ),
    );
    assert.doesNotMatch(text, /No changes/);
    assert.match(text, /^Plan: 0 to create, 0 to update, 0 to kill, 1 held\.$/m);
  });

  it('gives the reason of an update that failed without a rollback', () => {
    const failed = planOf(webBroken, heldRecord('failed', 'instances failed: 1'));
    assert.match(
      renderText(failed),
      /held: the update to \w+ from feedc0ffee01 failed \(instances failed: 1\); running/,
    );
    assert.equal(summaryLine(failed), 'Plan: 0 to create, 0 to update, 0 to kill, 1 held.');
  });

  it('is no longer a difference once retried or reverted', () => {
    const retried = planOf(webBroken, heldRecord('rolled_back'), true);
    assert.equal(hasWork(retried), true);
    assert.equal(visibleChanges(retried)[0]?.held, undefined);
    const reverted = planOf(web, heldRecord('rolled_back'));
    assert.equal(hasChanges(reverted), false);
    assert.deepEqual(releasedHolds(reverted, [web], [heldRecord('rolled_back')]), [web]);
    assert.deepEqual(
      releasedHolds(planOf(webBroken, heldRecord('rolled_back')), [webBroken], [heldRecord('rolled_back')]),
      [],
    );
  });
});
