/**
 * Job files loaded in a worker thread, as the daemon loads them: the same jobs and problems
 * as a load on this thread, and a load that runs out of its time or memory budget ends as
 * a problem on the file it was at, with the next load in a fresh worker.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OffThreadLoader } from '../../src/reconciler/off-thread.js';
import { MemoryTree } from '../../src/source/memory-tree.js';
import { loadRepository } from '../../src/jobspec/load.js';
import { SpecCache } from '../../src/jobspec/spec-cache.js';
import { jobYaml, LOCAL_CLUSTERS } from '../support/jobs.js';

const files = {
  'clusters.yaml': LOCAL_CLUSTERS,
  'jobs/a.yaml': `extends: ../templates/t.yaml\n${jobYaml({ name: 'a' })}`,
  'jobs/b.yaml': `${jobYaml({ name: 'b' })}---\n${jobYaml({ name: 'c', instances: 'lots' })}`,
  'jobs/d.yaml': `extends: ../templates/broken.yaml\n${jobYaml({ name: 'd' })}`,
  'templates/t.yaml': 'contact: x@y\n',
  'templates/broken.yaml': 'contact: [\n',
};
/** A file that takes the full parser seconds and some 100 MB: an anchor, and a long list. */
const heavy = `contact: &c a\n${jobYaml({ name: 'h' })}metadata: {a: [${Array(80_000).fill('1').join(',')}]}\n`;

const withRunner = async <T>(
  budget: { timeMs: number; memoryMb: number },
  use: (runner: OffThreadLoader) => Promise<T>,
) => {
  const runner = new OffThreadLoader(budget);
  try {
    return await use(runner);
  } finally {
    await runner.close();
  }
};

describe('loading job files in a worker thread', () => {
  it('gives the jobs and problems a load on this thread gives, templates included', async () => {
    const here = await loadRepository(new MemoryTree(files));
    const there = await withRunner({ timeMs: 120_000, memoryMb: 512 }, (runner) =>
      loadRepository(new MemoryTree(files), { runner }),
    );
    assert.ok(here.problems.length >= 2, JSON.stringify(here.problems));
    assert.deepEqual(there.problems, here.problems);
    assert.deepEqual(there.jobs, here.jobs);
  });

  it('fills the spec cache on this thread, so an unchanged file is never sent again', async () => {
    const valid = {
      'clusters.yaml': LOCAL_CLUSTERS,
      'jobs/a.yaml': files['jobs/a.yaml'],
      'templates/t.yaml': files['templates/t.yaml'],
    };
    const cache = new SpecCache('test');
    await withRunner({ timeMs: 120_000, memoryMb: 512 }, async (runner) => {
      const first = await loadRepository(new MemoryTree(valid), { runner, cache });
      const sent: string[] = [];
      const counting = {
        timeBudgetMs: runner.timeBudgetMs,
        run: (...args: Parameters<OffThreadLoader['run']>) => (sent.push(args[0]), runner.run(...args)),
      };
      const second = await loadRepository(new MemoryTree(valid), { runner: counting, cache });
      assert.deepEqual(sent, []);
      assert.equal(second.jobs[0], first.jobs[0], 'the same object: the planner keeps its decisions');
    });
  });

  it('stops a load past its time budget: a problem on the file, the costly file not loaded', async () => {
    const costly = { ...files, 'jobs/h.yaml': heavy };
    await withRunner({ timeMs: 300, memoryMb: 512 }, async (runner) => {
      const { problems, jobs } = await loadRepository(new MemoryTree(costly), { runner });
      const stopped = problems.filter((p) => p.message.includes('--load-timeout'));
      assert.equal(stopped.length, 1, JSON.stringify(problems));
      assert.equal(
        stopped[0]!.message,
        'loading this commit took longer than 0.3 s (--load-timeout); stopped at this file',
      );
      // Which file the deadline meets depends on how fast the worker starts; the heavy one never finishes.
      assert.ok(stopped[0]!.file.startsWith('jobs/'));
      assert.deepEqual(
        jobs.filter((job) => job.key.name === 'h'),
        [],
      );
    });
    await withRunner({ timeMs: 120_000, memoryMb: 512 }, async (runner) => {
      const { problems } = await loadRepository(new MemoryTree(costly), { runner });
      assert.ok(
        !problems.some((p) => p.message.includes('--load-timeout')),
        'within a generous budget it loads',
      );
    });
  });

  it('stops a load past its memory budget, and the next load starts a fresh worker', async () => {
    const costly = { ...files, 'jobs/h.yaml': heavy };
    await withRunner({ timeMs: 120_000, memoryMb: 32 }, async (runner) => {
      const { problems } = await loadRepository(new MemoryTree(costly), { runner });
      assert.deepEqual(
        problems.filter((p) => p.message.includes('--load-memory')).map((p) => [p.file, p.message]),
        [
          [
            'jobs/h.yaml',
            'loading this commit needed more than 32 MB of memory (--load-memory); stopped at this file',
          ],
        ],
      );
      const small = { 'clusters.yaml': LOCAL_CLUSTERS, 'jobs/a.yaml': jobYaml({ name: 'a' }) };
      const next = await loadRepository(new MemoryTree(small), { runner });
      assert.deepEqual(next.problems, []);
      assert.equal(next.jobs.length, 1);
    });
  });
});
