import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryTree } from '../../src/source/memory-tree.js';
import { deepMerge } from '../../src/jobspec/extends.js';
import { loadRepository } from '../../src/jobspec/load.js';
import { LOCAL_CLUSTERS } from '../support/jobs.js';

describe('deepMerge', () => {
  const cases: {
    name: string;
    base: Record<string, unknown>;
    override: Record<string, unknown>;
    expected: unknown;
  }[] = [
    { name: 'override-wins-for-scalars', base: { a: 1, b: 2 }, override: { a: 3 }, expected: { a: 3, b: 2 } },
    {
      name: 'maps-merge-recursively',
      base: { m: { x: 1, y: { z: 1 } } },
      override: { m: { y: { w: 2 } } },
      expected: { m: { x: 1, y: { z: 1, w: 2 } } },
    },
    { name: 'arrays-are-replaced', base: { l: [1, 2, 3] }, override: { l: [4] }, expected: { l: [4] } },
    { name: 'map-replaces-scalar', base: { a: 'x' }, override: { a: { b: 1 } }, expected: { a: { b: 1 } } },
    { name: 'null-replaces-map', base: { a: { b: 1 } }, override: { a: null }, expected: { a: null } },
  ];
  for (const { name, base, override, expected } of cases) {
    it(name, () => {
      const before = structuredClone(base);
      assert.deepEqual(deepMerge(base, override), expected);
      assert.deepEqual(base, before, 'inputs are not modified');
    });
  }
});

describe('extends', () => {
  const TEMPLATE = `cluster: local
role: batch
environment: prod
task:
  processes:
    - name: work
      cmdline: run --port {{thermos.ports[http]}}
  resources:
    cpu: 0.1
    ram: 16MiB
    disk: 16MiB
`;

  it('merges a chain of templates, nearest first', async () => {
    const loaded = await loadRepository(
      new MemoryTree({
        'clusters.yaml': LOCAL_CLUSTERS,
        'templates/base.yaml': TEMPLATE.replace('run --port {{thermos.ports[http]}}', 'run'),
        'templates/big.yaml': 'extends: base.yaml\ntask:\n  resources:\n    ram: 1GiB\n',
        'jobs/x.yaml': 'extends: ../templates/big.yaml\nname: x\ninstances: 2\n',
      }),
    );
    assert.deepEqual(loaded.problems, []);
    const [job] = loaded.jobs;
    assert.equal(job?.config.task.resources.ram, 1024);
    assert.equal(job?.config.task.resources.cpu, 0.1);
    assert.equal(job?.config.instances, 2);
    assert.equal(job?.file, 'jobs/x.yaml');
  });

  it('reports a problem inherited from a template in the template file', async () => {
    const loaded = await loadRepository(
      new MemoryTree({
        'clusters.yaml': LOCAL_CLUSTERS,
        'templates/base.yaml': TEMPLATE,
        'jobs/x.yaml': 'extends: ../templates/base.yaml\nname: x\n',
      }),
    );
    assert.deepEqual(
      loaded.problems.map((p) => [p.file, p.line, p.column, p.path]),
      [['templates/base.yaml', 7, 16, 'task.processes[0].cmdline']],
    );
    assert.match(loaded.problems[0]!.message, /thermos\.ports\[http\].*not requested/);
  });

  it('shares one template between jobs without leaking defaults or values between them', async () => {
    const loaded = await loadRepository(
      new MemoryTree({
        'clusters.yaml': LOCAL_CLUSTERS,
        'templates/base.yaml': TEMPLATE.replace(' --port {{thermos.ports[http]}}', ''),
        'jobs/a.yaml': 'extends: ../templates/base.yaml\nname: a\nenv: {Q: a}\n',
        'jobs/b.yaml': 'extends: ../templates/base.yaml\nname: b\n',
      }),
    );
    assert.deepEqual(loaded.problems, []);
    const b = loaded.jobs.find((job) => job.key.name === 'b');
    assert.deepEqual(b?.config.env, {});
    assert.equal(b?.config.task.name, 'b');
  });
});
