import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { forgettableTasks } from '../../src/plan/history.js';
import { task } from '../support/specs.js';

const NOW = 10_000_000;
const WINDOW = 600_000;
const at = (msAgo: number) => NOW - msAgo;

describe('forgettableTasks', () => {
  const web = 'local/r/prod/web';
  const gone = 'local/r/prod/gone';
  const cases = [
    {
      name: 'keeps-the-newest-ended-task-of-an-instance',
      tasks: [
        task(web, 0, { taskId: 'old', state: 'FAILED', updatedAt: at(WINDOW * 3) }),
        task(web, 0, { taskId: 'new', state: 'FINISHED', updatedAt: at(WINDOW * 2) }),
      ],
      forget: ['old'],
    },
    {
      name: 'keeps-ended-tasks-inside-the-back-off-window',
      tasks: [
        task(web, 0, { taskId: 'a', state: 'FAILED', updatedAt: at(1_000) }),
        task(web, 0, { taskId: 'b', state: 'FAILED', updatedAt: at(2_000) }),
      ],
      forget: [],
    },
    {
      name: 'never-forgets-live-tasks',
      tasks: [task(web, 0, { taskId: 'live', state: 'RUNNING', updatedAt: at(WINDOW * 5) })],
      forget: [],
    },
    {
      name: 'forgets-old-tasks-of-undeclared-jobs',
      tasks: [
        task(gone, 0, { taskId: 'g', state: 'KILLED', updatedAt: at(WINDOW) }),
        task(gone, 1, { taskId: 'h', state: 'KILLED', updatedAt: at(10) }),
      ],
      forget: ['g'],
    },
    {
      name: 'leaves-cron-runs-to-the-cron-scheduler',
      tasks: [
        task(gone, 0, { taskId: 'run-gone', cronRun: 'r1', state: 'FINISHED', updatedAt: at(WINDOW * 3) }),
        task(web, 0, { taskId: 'run-old', cronRun: 'r1', state: 'FAILED', updatedAt: at(WINDOW * 3) }),
        task(web, 0, { taskId: 'run-new', cronRun: 'r2', state: 'FINISHED', updatedAt: at(WINDOW * 2) }),
      ],
      forget: [],
    },
    {
      name: 'a-cron-run-is-not-the-newest-ended-task-of-an-instance',
      tasks: [
        task(web, 0, { taskId: 'mine', state: 'FINISHED', updatedAt: at(WINDOW * 3) }),
        task(web, 0, { taskId: 'run', cronRun: 'r1', state: 'FINISHED', updatedAt: at(WINDOW * 2) }),
      ],
      forget: [],
    },
  ];
  for (const { name, tasks, forget } of cases) {
    it(name, () => assert.deepEqual(forgettableTasks(tasks, new Set([web]), NOW, WINDOW), forget));
  }
});
