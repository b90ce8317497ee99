/** Placement of pending instances on Mesos offers, case by case. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { MesosOffer, MesosResource } from '../../../src/cluster/mesos/offer.js';
import {
  pendingFromJob,
  placeInstances,
  type PendingInstance,
  type Placement,
  type PlacementOptions,
  type RunningTask,
} from '../../../src/cluster/mesos/placement.js';
import type { Resources } from '../../../src/jobspec/types.js';
import { spec } from '../../support/specs.js';

interface OfferFields {
  id?: string;
  cpus?: number;
  mem?: number;
  disk?: number;
  gpus?: number;
  ports?: [number, number][];
  attributes?: Record<string, string>;
}

const scalar = (name: string, value: number): MesosResource => ({
  name,
  type: 'SCALAR',
  scalar: { value },
  role: '*',
});

/** An offer from `host` with plenty of everything unless told otherwise. */
function offer(host: string, fields: OfferFields = {}): MesosOffer {
  const { cpus = 8, mem = 8192, disk = 8192, gpus = 0, ports = [[31000, 31099]], attributes = {} } = fields;
  const resources = [scalar('cpus', cpus), scalar('mem', mem), scalar('disk', disk)];
  if (gpus > 0) resources.push(scalar('gpus', gpus));
  if (ports.length > 0) {
    resources.push({
      name: 'ports',
      type: 'RANGES',
      ranges: { range: ports.map(([begin, end]) => ({ begin, end })) },
      role: '*',
    });
  }
  return {
    id: { value: fields.id ?? `o-${host}` },
    agent_id: { value: `a-${host}` },
    hostname: host,
    resources,
    attributes: Object.entries(attributes).map(([name, value]) => ({ name, type: 'TEXT', text: { value } })),
  };
}

function instances(
  jobId: string,
  count: number,
  constraints: Record<string, string> = {},
  resources: Partial<Resources> = {},
): PendingInstance[] {
  // Shared by the job's instances, as pendingFromJob does.
  const shared = { cpu: 1, ram: 128, disk: 64, gpu: 0, ports: [], ...resources };
  return Array.from({ length: count }, (_, instance) => ({
    jobId,
    instance,
    resources: shared,
    constraints,
  }));
}

function runningOn(jobId: string, host: string, attributes: Record<string, string> = {}): RunningTask {
  const values = Object.fromEntries(Object.entries(attributes).map(([name, value]) => [name, [value]]));
  return { jobId, agentId: `a-${host}`, hostname: host, attributes: values };
}

/** `job/instance` → hostname, the shape every expectation below is written in. */
function hostsOf(placement: Placement): Record<string, string> {
  return Object.fromEntries(
    placement.launches.map((l) => [`${l.instance.jobId}/${l.instance.instance}`, l.hostname]),
  );
}

function unplacedOf(placement: Placement): Record<string, string[]> {
  return Object.fromEntries(
    placement.unplaced.map((u) => [`${u.instance.jobId}/${u.instance.instance}`, u.reasons]),
  );
}

interface Case {
  pending: PendingInstance[];
  offers: MesosOffer[];
  running?: RunningTask[];
  options?: PlacementOptions;
  placed: Record<string, string>;
  unplaced?: Record<string, string[]>;
}

const rack = (r: string) => ({ attributes: { rack: r } });

const cases: Record<string, Case> = {
  'fits-on-the-only-offer': {
    pending: instances('a', 1, {}, { cpu: 8, ram: 8192, disk: 8192 }),
    offers: [offer('h1')],
    placed: { 'a/0': 'h1' },
  },
  'too-little-cpu': {
    pending: instances('a', 1, {}, { cpu: 2 }),
    offers: [offer('h1', { cpus: 1.5 })],
    placed: {},
    unplaced: { 'a/0': ['insufficient cpu on 1 offer'] },
  },
  'too-little-ram': {
    pending: instances('a', 1, {}, { ram: 512 }),
    offers: [offer('h1', { mem: 511 })],
    placed: {},
    unplaced: { 'a/0': ['insufficient ram on 1 offer'] },
  },
  'too-little-disk': {
    pending: instances('a', 1, {}, { disk: 1024 }),
    offers: [offer('h1', { disk: 1000 })],
    placed: {},
    unplaced: { 'a/0': ['insufficient disk on 1 offer'] },
  },
  'gpu-fits-on-gpu-agent-only': {
    pending: instances('a', 2, {}, { gpu: 1 }),
    offers: [offer('h1'), offer('h2', { gpus: 1 })],
    placed: { 'a/0': 'h2' },
    unplaced: { 'a/1': ['insufficient gpu on 2 offers'] },
  },
  'too-few-ports': {
    pending: instances('a', 1, {}, { ports: ['http', 'admin', 'health'] }),
    offers: [offer('h1', { ports: [[31000, 31001]] })],
    placed: {},
    unplaced: { 'a/0': ['insufficient ports on 1 offer'] },
  },
  'fractional-cpus-add-up-exactly': {
    pending: instances('a', 10, {}, { cpu: 0.1 }),
    offers: [offer('h1', { cpus: 1 })],
    placed: Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`a/${i}`, 'h1'])),
  },
  'several-instances-share-one-offer': {
    pending: instances('a', 5),
    offers: [offer('h1', { cpus: 4 })],
    placed: { 'a/0': 'h1', 'a/1': 'h1', 'a/2': 'h1', 'a/3': 'h1' },
    unplaced: { 'a/4': ['insufficient cpu on 1 offer'] },
  },
  'limit-1-on-host-spreads-one-per-host': {
    pending: instances('a', 4, { host: 'limit:1' }),
    offers: [offer('h3'), offer('h1'), offer('h2')],
    placed: { 'a/0': 'h1', 'a/1': 'h2', 'a/2': 'h3' },
    unplaced: { 'a/3': ['limit:1 on host reached on 3 offers'] },
  },
  'limit-1-on-host-counts-running-tasks': {
    pending: instances('a', 2, { host: 'limit:1' }),
    offers: [offer('h1'), offer('h2'), offer('h3')],
    running: [runningOn('a', 'h1'), runningOn('other', 'h2')],
    placed: { 'a/0': 'h2', 'a/1': 'h3' },
  },
  'limit-1-on-host-uses-the-host-attribute-when-set': {
    pending: instances('a', 2, { host: 'limit:1' }),
    // Two agents that report the same physical host.
    offers: [
      offer('h1', { attributes: { host: 'metal1' } }),
      offer('h2', { attributes: { host: 'metal1' } }),
    ],
    placed: { 'a/0': 'h1' },
    unplaced: { 'a/1': ['limit:1 on host reached on 2 offers'] },
  },
  'limit-2-on-rack': {
    pending: instances('a', 5, { rack: 'limit:2' }),
    offers: [
      offer('h1', rack('r1')),
      offer('h2', rack('r1')),
      offer('h3', rack('r2')),
      offer('h4', rack('r2')),
    ],
    placed: { 'a/0': 'h1', 'a/1': 'h2', 'a/2': 'h3', 'a/3': 'h4' },
    unplaced: { 'a/4': ['limit:2 on rack reached on 4 offers'] },
  },
  'limit-2-on-rack-counts-running-tasks-by-rack': {
    pending: instances('a', 2, { rack: 'limit:2' }),
    offers: [offer('h1', rack('r1')), offer('h3', rack('r2'))],
    running: [runningOn('a', 'h2', { rack: 'r1' })],
    placed: { 'a/0': 'h1', 'a/1': 'h3' },
  },
  'value-list-is-an-or': {
    pending: instances('a', 3, { rack: 'r1,r3' }),
    offers: [offer('h1', rack('r1')), offer('h2', rack('r2')), offer('h3', rack('r3'))],
    placed: { 'a/0': 'h1', 'a/1': 'h3', 'a/2': 'h1' },
  },
  'negated-list-excludes-every-value': {
    pending: instances('a', 2, { rack: '!r1,r2' }),
    offers: [offer('h1', rack('r1')), offer('h2', rack('r2')), offer('h3', rack('r3')), offer('h4')],
    placed: { 'a/0': 'h3', 'a/1': 'h4' },
  },
  'agent-missing-the-attribute-fails-limit-and-value': {
    pending: [...instances('a', 1, { rack: 'limit:1' }), ...instances('b', 1, { rack: 'r1' })],
    offers: [offer('h1')],
    placed: {},
    unplaced: {
      'a/0': ['missing attribute rack on 1 offer'],
      'b/0': ['missing attribute rack on 1 offer'],
    },
  },
  'value-mismatch-is-reported': {
    pending: instances('a', 1, { rack: 'r9' }),
    offers: [offer('h1', rack('r1')), offer('h2', rack('r2'))],
    placed: {},
    unplaced: { 'a/0': ['constraint rack:r9 not met on 2 offers'] },
  },
  'dedicated-agent-refuses-other-jobs': {
    pending: [...instances('a', 1), ...instances('b', 1)],
    offers: [offer('h1', { attributes: { dedicated: 'db/redis' } }), offer('h2', { cpus: 1 })],
    placed: { 'a/0': 'h2' },
    unplaced: { 'b/0': ['agent dedicated to db/redis on 1 offer', 'insufficient cpu on 1 offer'] },
  },
  'dedicated-job-runs-only-on-its-agents': {
    pending: instances('redis', 3, { dedicated: 'db/redis' }),
    offers: [
      offer('h1'),
      offer('h2', { attributes: { dedicated: 'db/redis' }, cpus: 2 }),
      offer('h3', { attributes: { dedicated: 'web/nginx' } }),
    ],
    placed: { 'redis/0': 'h2', 'redis/1': 'h2' },
    unplaced: {
      'redis/2': [
        'agent dedicated to web/nginx on 1 offer',
        'insufficient cpu on 1 offer',
        'not a dedicated agent (dedicated:db/redis) on 1 offer',
      ],
    },
  },
  'dedicated-wildcard-role': {
    pending: instances('a', 1, { dedicated: '*/web' }),
    offers: [
      offer('h1', { attributes: { dedicated: 'www-data/web' } }),
      offer('h2', { attributes: { dedicated: '*/web' } }),
    ],
    placed: { 'a/0': 'h2' },
  },
  'dedicated-to-field-counts-as-the-constraint': {
    pending: instances('a', 1).map((i) => ({ ...i, dedicatedTo: 'db/redis' })),
    offers: [offer('h1'), offer('h2', { attributes: { dedicated: 'db/redis' } })],
    placed: { 'a/0': 'h2' },
  },
  'default-spreading-round-robins-hosts': {
    pending: instances('a', 6),
    offers: [offer('h2'), offer('h1'), offer('h3')],
    placed: { 'a/0': 'h1', 'a/1': 'h2', 'a/2': 'h3', 'a/3': 'h1', 'a/4': 'h2', 'a/5': 'h3' },
  },
  'default-spreading-avoids-hosts-already-running-the-job': {
    pending: instances('a', 3),
    offers: [offer('h1'), offer('h2'), offer('h3')],
    running: [runningOn('a', 'h1'), runningOn('a', 'h1'), runningOn('a', 'h2'), runningOn('b', 'h3')],
    placed: { 'a/0': 'h3', 'a/1': 'h2', 'a/2': 'h3' },
  },
  'spreading-counts-every-offer-of-a-host': {
    pending: instances('a', 3),
    offers: [offer('h1', { id: 'o1' }), offer('h1', { id: 'o2' }), offer('h2')],
    placed: { 'a/0': 'h1', 'a/1': 'h2', 'a/2': 'h1' },
  },
  'spread-by-rack': {
    pending: instances('a', 4),
    options: { spreadBy: 'rack' },
    offers: [offer('h1', rack('r1')), offer('h2', rack('r1')), offer('h3', rack('r2'))],
    placed: { 'a/0': 'h1', 'a/1': 'h3', 'a/2': 'h1', 'a/3': 'h3' },
  },
  'reasons-aggregate-over-offers': {
    pending: instances('a', 1, { rack: 'r1' }, { cpu: 4, ram: 1024 }),
    offers: [
      offer('h1', { ...rack('r1'), cpus: 2 }),
      offer('h2', { ...rack('r1'), cpus: 3 }),
      offer('h3', { ...rack('r1'), cpus: 1, mem: 512 }),
      offer('h4', rack('r2')),
    ],
    placed: {},
    unplaced: {
      'a/0': [
        'insufficient cpu on 3 offers',
        'constraint rack:r1 not met on 1 offer',
        'insufficient ram on 1 offer',
      ],
    },
  },
  'no-offers': {
    pending: instances('a', 1),
    offers: [],
    placed: {},
    unplaced: { 'a/0': ['no offers'] },
  },
};

describe('placeInstances', () => {
  for (const [name, c] of Object.entries(cases)) {
    it(name, () => {
      const placement = placeInstances(c.pending, c.offers, c.running ?? [], c.options);
      assert.deepEqual(hostsOf(placement), c.placed);
      assert.deepEqual(unplacedOf(placement), c.unplaced ?? {});
    });
  }

  it('picks ports from the ranges, lowest first, and claims exactly those ranges', () => {
    const placement = placeInstances(
      instances('a', 2, {}, { ports: ['http', 'admin', 'http'] }),
      [
        offer('h1', {
          ports: [
            [31005, 31006],
            [31000, 31000],
          ],
        }),
      ],
      [],
    );
    // `http` twice is one port; the second instance needs two of the one port left.
    assert.deepEqual(
      placement.launches.map((l) => l.ports),
      [{ http: 31000, admin: 31005 }],
    );
    assert.deepEqual(unplacedOf(placement), { 'a/1': ['insufficient ports on 1 offer'] });
    const launch = placement.launches[0];
    assert.deepEqual(
      launch?.resources.find((r) => r.name === 'ports'),
      {
        name: 'ports',
        type: 'RANGES',
        role: '*',
        ranges: {
          range: [
            { begin: 31000, end: 31000 },
            { begin: 31005, end: 31005 },
          ],
        },
      },
    );
  });

  it('claims exactly the requested scalars and reports unused offers', () => {
    const placement = placeInstances(
      instances('a', 1, {}, { cpu: 0.5, ram: 64, disk: 32 }),
      [offer('h1'), offer('h2')],
      [],
    );
    assert.deepEqual(placement.launches[0]?.resources, [
      scalar('cpus', 0.5),
      scalar('mem', 64),
      scalar('disk', 32),
    ]);
    assert.deepEqual(placement.launches[0]?.offerId, 'o-h1');
    assert.deepEqual(placement.launches[0]?.agentId, 'a-h1');
    assert.deepEqual(placement.unusedOfferIds, ['o-h2']);
  });
});

describe('roles and reservations', () => {
  const eng = { role: 'eng' };
  /** A MULTI_ROLE offer allocated to `eng`: reserved and unreserved cpus, and mem from another role. */
  const multiRole: MesosOffer = {
    id: { value: 'o1' },
    agent_id: { value: 'a1' },
    hostname: 'h1',
    allocation_info: eng,
    resources: [
      { name: 'cpus', type: 'SCALAR', scalar: { value: 2 }, allocation_info: eng },
      {
        name: 'cpus',
        type: 'SCALAR',
        scalar: { value: 1 },
        allocation_info: eng,
        reservations: [{ type: 'DYNAMIC', role: 'eng', principal: 'ops' }],
      },
      { name: 'mem', type: 'SCALAR', scalar: { value: 4096 }, allocation_info: { role: 'other' } },
      { name: 'mem', type: 'SCALAR', scalar: { value: 200 }, allocation_info: eng, role: '*' },
      {
        name: 'disk',
        type: 'SCALAR',
        scalar: { value: 100 },
        allocation_info: eng,
        reservations: [{ type: 'STATIC', role: 'eng' }],
      },
      {
        name: 'disk',
        type: 'SCALAR',
        scalar: { value: 999 },
        allocation_info: eng,
        reservations: [{ type: 'STATIC', role: 'finance' }],
      },
      { name: 'cpus', type: 'SCALAR', scalar: { value: 50 }, allocation_info: eng, revocable: {} },
    ],
  };

  it('claims reserved resources first, then unreserved, never another role', () => {
    const pending = instances('a', 1, {}, { cpu: 2, ram: 150, disk: 100 });
    const placement = placeInstances(pending, [multiRole], []);
    assert.deepEqual(placement.launches[0]?.resources, [
      {
        name: 'cpus',
        type: 'SCALAR',
        scalar: { value: 1 },
        allocation_info: eng,
        reservations: [{ type: 'DYNAMIC', role: 'eng', principal: 'ops' }],
      },
      { name: 'cpus', type: 'SCALAR', scalar: { value: 1 }, allocation_info: eng },
      { name: 'mem', type: 'SCALAR', scalar: { value: 150 }, allocation_info: eng, role: '*' },
      {
        name: 'disk',
        type: 'SCALAR',
        scalar: { value: 100 },
        allocation_info: eng,
        reservations: [{ type: 'STATIC', role: 'eng' }],
      },
    ]);
  });

  it('does not count other roles, revocable or foreign reservations as available', () => {
    const placement = placeInstances(instances('a', 1, {}, { cpu: 4, ram: 201, disk: 101 }), [multiRole], []);
    assert.deepEqual(unplacedOf(placement), {
      'a/0': ['insufficient cpu on 1 offer', 'insufficient disk on 1 offer', 'insufficient ram on 1 offer'],
    });
  });

  it('vetoes offers allocated to another role than the instance asks for', () => {
    const pending = instances('a', 2, {}, { cpu: 0.1, ram: 1, disk: 1 }).map((i, n) => ({
      ...i,
      role: n === 0 ? 'eng' : 'ops',
    }));
    const placement = placeInstances(pending, [multiRole], []);
    assert.deepEqual(hostsOf(placement), { 'a/0': 'h1' });
    assert.deepEqual(unplacedOf(placement), { 'a/1': ['offer for role eng, not ops on 1 offer'] });
  });

  it('claims pre-refinement reservations (`role`) of a framework without MULTI_ROLE', () => {
    const legacy: MesosOffer = {
      id: { value: 'o1' },
      agent_id: { value: 'a1' },
      hostname: 'h1',
      resources: [
        {
          name: 'cpus',
          type: 'SCALAR',
          scalar: { value: 1 },
          role: 'eng',
          reservation: { principal: 'ops' },
        },
        { name: 'mem', type: 'SCALAR', scalar: { value: 64 }, role: '*' },
      ],
    };
    const placement = placeInstances(instances('a', 1, {}, { cpu: 1, ram: 64, disk: 0 }), [legacy], []);
    assert.deepEqual(placement.launches[0]?.resources, [
      { name: 'cpus', type: 'SCALAR', scalar: { value: 1 }, role: 'eng', reservation: { principal: 'ops' } },
      { name: 'mem', type: 'SCALAR', scalar: { value: 64 }, role: '*' },
    ]);
  });

  it('places on the real OFFERS event fixture', () => {
    // Verbatim from fixtures/mesos/corrected/OFFERS.scheduler.event.json.
    const event = JSON.parse(
      '{"type":"OFFERS","offers":{"offers":[{"allocation_info":{"role":"engineering"},"id":{"value":"12214-23523-O235235"},' +
        '"framework_id":{"value":"12124-235325-32425"},"agent_id":{"value":"12325-23523-S23523"},"hostname":"agent.host",' +
        '"resources":[{"allocation_info":{"role":"engineering"},"name":"cpus","type":"SCALAR","scalar":{"value":2},"role":"*"}],' +
        '"attributes":[{"name":"os","type":"TEXT","text":{"value":"ubuntu16.04"}}],' +
        '"executor_ids":[{"value":"12214-23523-my-executor"}]}]}}',
    ) as { offers: { offers: MesosOffer[] } };
    const pending = instances('a', 2, { os: 'ubuntu16.04' }, { cpu: 1.5, ram: 0, disk: 0 });
    const placement = placeInstances(pending, event.offers.offers, []);
    assert.deepEqual(placement.launches[0], {
      offerId: '12214-23523-O235235',
      agentId: '12325-23523-S23523',
      hostname: 'agent.host',
      instance: pending[0],
      resources: [
        {
          allocation_info: { role: 'engineering' },
          name: 'cpus',
          type: 'SCALAR',
          scalar: { value: 1.5 },
          role: '*',
        },
      ],
      ports: {},
      crowded: false,
    });
    assert.deepEqual(unplacedOf(placement), { 'a/1': ['insufficient cpu on 1 offer'] });
  });

  it('marks a launch crowded when its host already runs an instance of the job', () => {
    const crowdedOf = (placement: Placement) =>
      Object.fromEntries(
        placement.launches.map((l) => [`${l.instance.jobId}/${l.instance.instance}`, l.crowded]),
      );
    const spread = placeInstances(instances('a', 2), [offer('h1'), offer('h2')], []);
    assert.deepEqual(crowdedOf(spread), { 'a/0': false, 'a/1': false });
    const sharing = placeInstances(instances('a', 2), [offer('h1')], []);
    assert.deepEqual(crowdedOf(sharing), { 'a/0': false, 'a/1': true });
    const joining = placeInstances(instances('a', 1), [offer('h1')], [runningOn('a', 'h1')]);
    assert.deepEqual(crowdedOf(joining), { 'a/0': true });
    const otherJob = placeInstances(instances('a', 1), [offer('h1')], [runningOn('b', 'h1')]);
    assert.deepEqual(crowdedOf(otherJob), { 'a/0': false });
  });
});

describe('pendingFromJob', () => {
  it('takes resources and constraints from the normalised job', () => {
    const job = spec({
      name: 'db',
      constraints: { host: 'limit:1', dedicated: 'www-data/db' },
      task: {
        processes: [{ name: 'main', cmdline: 'run {{thermos.ports[http]}}' }],
        resources: { cpu: 0.5, ram: '1GiB', disk: '2GiB', ports: ['http'] },
      },
    });
    const pending = pendingFromJob(job, [0, 2], 'eng');
    assert.deepEqual(
      pending.map((p) => [p.jobId, p.instance, p.role, p.dedicatedTo]),
      [
        [job.id, 0, 'eng', 'www-data/db'],
        [job.id, 2, 'eng', 'www-data/db'],
      ],
    );
    assert.deepEqual(pending[0]?.resources, { cpu: 0.5, ram: 1024, disk: 2048, gpu: 0, ports: ['http'] });
    assert.deepEqual(pending[0]?.constraints, { host: 'limit:1', dedicated: 'www-data/db' });
  });
});

/** 10,000 instances of 200 jobs over 1,000 offers on 500 hosts in 50 racks. */
function largeCluster(): { pending: PendingInstance[]; offers: MesosOffer[]; running: RunningTask[] } {
  const offers: MesosOffer[] = [];
  for (let h = 0; h < 500; h += 1) {
    const host = `host-${String(h).padStart(4, '0')}`;
    const attributes = { rack: `rack-${h % 50}` };
    // Two offers of one agent never share a port.
    offers.push(offer(host, { id: `${host}-a`, cpus: 12, mem: 65536, ports: [[31000, 31099]], attributes }));
    offers.push(offer(host, { id: `${host}-b`, cpus: 12, mem: 65536, ports: [[31100, 31199]], attributes }));
  }
  const pending: PendingInstance[] = [];
  for (let j = 0; j < 200; j += 1) {
    const constraints: Record<string, string> =
      j % 4 === 0
        ? { host: 'limit:1' }
        : j % 4 === 1
          ? { rack: 'limit:2' }
          : j % 4 === 2
            ? { rack: '!rack-0' }
            : {};
    pending.push(...instances(`job-${j}`, 50, constraints, { cpu: 1, ram: 1024, ports: ['http'] }));
  }
  const running = Array.from({ length: 100 }, (_, i) =>
    runningOn('job-1', `host-${String(i).padStart(4, '0')}`, { rack: `rack-${i % 50}` }),
  );
  return { pending, offers, running };
}

describe('scale', () => {
  it('places 10,000 instances over 1,000 offers within limits and capacity', () => {
    const { pending, offers, running } = largeCluster();
    const placement = placeInstances(pending, offers, running);
    // job-1 (rack limit:2) already fills every rack with its 100 running tasks.
    const byJob = new Map<string, number>();
    for (const l of placement.launches) byJob.set(l.instance.jobId, (byJob.get(l.instance.jobId) ?? 0) + 1);
    assert.equal(byJob.get('job-1'), undefined);
    assert.equal(byJob.get('job-5'), 50);
    assert.equal(placement.launches.length, 9950);
    assert.equal(placement.unplaced.length, 50);
    assert.deepEqual(placement.unplaced[0]?.reasons, ['limit:2 on rack reached on 1000 offers']);
    const used = new Set(placement.launches.map((l) => l.offerId));
    assert.equal(used.size, 852);
    assert.equal(placement.unusedOfferIds.length, 1000 - used.size);
    assert.ok(placement.unusedOfferIds.every((id) => !used.has(id)));
    // No host runs two instances of a host-limited job; no offer gives more than it had.
    const perHost = new Set<string>();
    const cpusPerOffer = new Map<string, number>();
    const portsSeen = new Set<string>();
    for (const l of placement.launches) {
      if (l.instance.constraints.host === 'limit:1') {
        const key = `${l.instance.jobId} ${l.hostname}`;
        assert.ok(!perHost.has(key), key);
        perHost.add(key);
      }
      cpusPerOffer.set(l.offerId, (cpusPerOffer.get(l.offerId) ?? 0) + 1);
      const port = `${l.hostname}:${l.ports.http}`;
      assert.ok(!portsSeen.has(port), port);
      portsSeen.add(port);
    }
    assert.ok([...cpusPerOffer.values()].every((n) => n <= 12));
  });

  it('is deterministic: the same input twice gives the same output', () => {
    const first = largeCluster();
    const second = largeCluster();
    assert.deepEqual(
      placeInstances(first.pending, first.offers, first.running),
      placeInstances(second.pending, second.offers, second.running),
    );
  });
});
