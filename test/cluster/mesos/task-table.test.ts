import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TaskTable } from '../../../src/cluster/mesos/task-table.js';

const task = (taskId: string, jobId: string) => ({ taskId, jobId });
const ids = (tasks: Iterable<{ taskId: string }>) => [...tasks].map((t) => t.taskId).sort();

describe('TaskTable', () => {
  it('finds tasks by id and by job, through replacements and removals', () => {
    const table = new TaskTable<{ taskId: string; jobId: string }>();
    table.set(task('a1', 'a'));
    table.set(task('a2', 'a'));
    table.set(task('b1', 'b'));
    assert.deepEqual(ids(table.ofJob('a')), ['a1', 'a2']);
    const replaced = task('a1', 'a');
    table.set(replaced);
    assert.equal(table.get('a1'), replaced);
    assert.deepEqual(ids(table.ofJob('a')), ['a1', 'a2'], 'a replacement is not counted twice');
    assert.ok([...table.ofJob('a')].includes(replaced));
    table.delete('a1');
    table.delete('a2');
    table.delete('missing');
    assert.deepEqual(ids(table.ofJob('a')), []);
    assert.equal(table.has('a1'), false);
    assert.deepEqual(ids(table.values()), ['b1']);
  });
});
