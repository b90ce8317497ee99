/** The marker that identifies a task's processes: whose it is, and that a job cannot forge it. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  markTaskEnvironment,
  readMarker,
  supervisorEnvironment,
} from '../../../src/cluster/local/task-markers.js';

function environ(env: NodeJS.ProcessEnv): string[] {
  return Object.entries(env).map(([name, value]) => `${name}=${value ?? ''}`);
}

describe('task markers', () => {
  const root = '/state/sandboxes';

  it('reads the task and the role from an environment of this cluster only', () => {
    const supervisor = environ(supervisorEnvironment(root, 't-1', { PATH: '/bin' }));
    const cases: [string, string[], ReturnType<typeof readMarker>][] = [
      ['a supervisor', supervisor, { root, taskId: 't-1', supervisor: true }],
      ['another cluster', environ(supervisorEnvironment(`${root}2`, 't-1', {})), undefined],
      ['no task id', [`BOREALIS_SANDBOX_ROOT=${root}`], undefined],
      ['an empty task id', [`BOREALIS_SANDBOX_ROOT=${root}`, 'BOREALIS_TASK_ID='], undefined],
      ['no marker at all', ['PATH=/bin'], undefined],
    ];
    for (const [what, entries, expected] of cases)
      assert.deepEqual(readMarker(entries, root), expected, what);
  });

  it("marks a task process as the task's, whatever the job's env or the supervisor's said", () => {
    const env = {
      ...supervisorEnvironment(root, 't-1', {}),
      BOREALIS_TASK_ID: 'forged',
      BOREALIS_SANDBOX_ROOT: '/x',
    };
    markTaskEnvironment(env, root, 't-1');
    assert.deepEqual(readMarker(environ(env), root), { root, taskId: 't-1', supervisor: false });
  });
});
