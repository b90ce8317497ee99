import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ObservedTask } from '../../src/cluster/types.js';
import type { InstanceProgress, RolloutState } from '../../src/deploy/rollout.js';
import { rolloutProgress } from '../../src/deploy/rollout-progress.js';

const version = (configHash: string) => ({ configHash, config: {} as RolloutState['target']['config'] });

function state(instances: InstanceProgress['status'][], fields: Partial<RolloutState> = {}): RolloutState {
  return {
    version: 1,
    jobId: 'local/www/prod/web',
    commit: 'c2',
    status: 'ROLLING_FORWARD',
    target: version('new'),
    previous: version('old'),
    previousInstances: instances.length,
    settings: {
      batch_size: 2,
      watch_secs: 10,
      max_per_shard_failures: 0,
      max_total_failures: 0,
      rollback_on_failure: true,
      wait_for_batch_completion: false,
    },
    finishIsSuccess: false,
    instances: instances.map((status, instance) => ({
      instance,
      status,
      failures: 0,
      taskId: `t${instance}`,
    })),
    removals: [],
    startedAt: 0,
    updatedAt: 0,
    ...fields,
  };
}

const running = (taskId: string, healthy?: boolean): ObservedTask => ({
  taskId,
  jobId: 'local/www/prod/web',
  instance: 0,
  configHash: 'new',
  commit: 'c2',
  state: 'RUNNING',
  updatedAt: 0,
  launchedAt: 0,
  host: 'h',
  ports: {},
  ...(healthy === undefined ? {} : { healthy }),
});

describe('rolloutProgress', () => {
  const cases: [string, RolloutState, ObservedTask[], string][] = [
    ['a new job', state(['starting', 'starting'], { previous: undefined }), [], '0/2 creating'],
    [
      'the first batch starting',
      state(['starting', 'stopping', 'pending', 'pending', 'pending']),
      [],
      '0/5 updating batch 1 of 3',
    ],
    [
      'a batch whose tasks all run healthy: its watch',
      state(['done', 'done', 'starting', 'starting', 'pending']),
      [running('t2', true), running('t3')],
      '2/5 watching batch 2 of 3',
    ],
    [
      'a batch with an unhealthy task is still updating',
      state(['done', 'done', 'starting', 'starting', 'pending']),
      [running('t2', false), running('t3')],
      '2/5 updating batch 2 of 3',
    ],
    [
      'failed instances are through too',
      state(['done', 'failed', 'pending']),
      [],
      '2/3 updating batch 2 of 2',
    ],
    ['rolling back', state(['done', 'pending'], { status: 'ROLLING_BACK' }), [], '1/2 rolling back'],
    ['rolled forward', state(['done', 'done'], { status: 'ROLLED_FORWARD' }), [], '2/2 rolled forward'],
  ];
  for (const [name, rollout, tasks, expected] of cases)
    it(name, () => {
      const { done, total, phase } = rolloutProgress(rollout, tasks);
      assert.equal(`${done}/${total} ${phase}`, expected);
    });
});
