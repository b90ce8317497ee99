import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startingStatus, type TaskRecord } from '../../../src/cluster/local/records.js';
import {
  LAUNCH_GRACE_MS,
  supervisorGone,
  toObservedTask,
  type SandboxView,
} from '../../../src/cluster/local/status-reader.js';
import type { TaskState } from '../../../src/cluster/types.js';
import { buildLaunch } from '../../support/launch-builder.js';

function view(state: TaskState, extra: Partial<SandboxView> = {}): SandboxView {
  const record: TaskRecord = { ...buildLaunch(), ports: { http: 5 }, hostname: 'h', launchedAt: 1000 };
  return { record, status: { ...startingStatus(record, 1000), state }, killRequested: false, ...extra };
}

const pid = { pid: 42, startTime: '7' };
const alive = () => true;
const dead = () => false;

describe('supervisorGone', () => {
  const cases: [string, SandboxView, () => boolean, number, boolean][] = [
    ['a live supervisor', view('RUNNING', { pid }), alive, 2000, false],
    ['a dead supervisor of a running task', view('RUNNING', { pid }), dead, 2000, true],
    ['a dead supervisor of a finished task', view('FINISHED', { pid }), dead, 2000, false],
    ['no pid file yet, within the grace period', view('STARTING'), dead, 1000 + LAUNCH_GRACE_MS, false],
    ['no pid file after the grace period', view('STARTING'), dead, 1001 + LAUNCH_GRACE_MS, true],
  ];
  for (const [name, v, liveness, now, expected] of cases) {
    it(name, () => assert.equal(supervisorGone(v, liveness, now), expected));
  }
});

describe('toObservedTask', () => {
  it('rebuilds the labels given at launch', () => {
    const v = view('RUNNING');
    const task = toObservedTask(v);
    assert.deepEqual(
      [task.taskId, task.jobId, task.instance, task.configHash, task.commit, task.host, task.ports],
      [v.record.taskId, v.record.jobId, 0, 'hash-under-test', 'commit-under-test', 'h', { http: 5 }],
    );
  });

  it('shows a requested kill as KILLING until the task is terminal', () => {
    assert.equal(toObservedTask(view('RUNNING', { killRequested: true })).state, 'KILLING');
    assert.equal(toObservedTask(view('KILLED', { killRequested: true })).state, 'KILLED');
  });

  it('says whether Borealis asked for the kill: a task killed by hand is not', () => {
    assert.equal(toObservedTask(view('KILLED', { killRequested: true })).killRequested, true);
    assert.equal(toObservedTask(view('KILLED')).killRequested, undefined);
  });
});
