import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ObservedTask } from '../../src/cluster/types.js';
import { desiredMembers, memberData, memberJson } from '../../src/announce/members.js';
import type { AnnounceConfig } from '../../src/jobspec/types.js';
import { spec, task } from '../support/specs.js';

const HOST = 'agent-7.example.com';
const at = (port: number) => ({ host: HOST, port });

/** A task with the given ports; the job id does not matter to `memberData`. */
const withPorts = (ports: Record<string, number>, instance = 0): ObservedTask =>
  task('local/www-data/prod/web', instance, { ports, host: 'reported-host' });

describe('memberData', () => {
  const cases: {
    name: string;
    task: ObservedTask;
    announce: AnnounceConfig;
    expected: unknown;
  }[] = [
    {
      name: 'primary-port-only: the aurora alias points at the primary port',
      task: withPorts({ http: 31001 }, 2),
      announce: { primary_port: 'http', portmap: { aurora: 'http' } },
      expected: {
        serviceEndpoint: at(31001),
        additionalEndpoints: { http: at(31001), aurora: at(31001) },
        status: 'ALIVE',
        shard: 2,
      },
    },
    {
      name: 'aliases-and-fixed-ports: ports by name, then aliases in declaration order',
      task: withPorts({ http: 31001, health: 31002 }),
      announce: { primary_port: 'http', portmap: { aurora: 'http', admin: 'health', legacy: 8080 } },
      expected: {
        serviceEndpoint: at(31001),
        additionalEndpoints: {
          health: at(31002),
          http: at(31001),
          aurora: at(31001),
          admin: at(31002),
          legacy: at(8080),
        },
        status: 'ALIVE',
        shard: 0,
      },
    },
    {
      name: 'reported-port-order-does-not-matter',
      task: withPorts({ health: 31002, http: 31001 }),
      announce: { primary_port: 'http', portmap: { aurora: 'http' } },
      expected: {
        serviceEndpoint: at(31001),
        additionalEndpoints: { health: at(31002), http: at(31001), aurora: at(31001) },
        status: 'ALIVE',
        shard: 0,
      },
    },
    {
      name: 'an-alias-named-like-a-port-overrides-it-in-place',
      task: withPorts({ health: 31002, http: 31001 }),
      announce: { primary_port: 'http', portmap: { aurora: 'http', health: 'http' } },
      expected: {
        serviceEndpoint: at(31001),
        additionalEndpoints: { health: at(31001), http: at(31001), aurora: at(31001) },
        status: 'ALIVE',
        shard: 0,
      },
    },
    {
      name: 'an-unresolvable-alias-is-left-out',
      task: withPorts({ http: 31001 }),
      announce: { primary_port: 'http', portmap: { aurora: 'http', admin: 'nope' } },
      expected: {
        serviceEndpoint: at(31001),
        additionalEndpoints: { http: at(31001), aurora: at(31001) },
        status: 'ALIVE',
        shard: 0,
      },
    },
  ];
  for (const { name, task: observed, announce, expected } of cases) {
    it(name, () => {
      // Compare the bytes, not just the structure: key order is part of the format.
      assert.equal(memberJson(memberData(observed, announce, HOST)), JSON.stringify(expected));
    });
  }

  it('writes the documented field order byte for byte', () => {
    const data = memberData(
      withPorts({ http: 8000 }, 3),
      { primary_port: 'http', portmap: { aurora: 'http' } },
      'h',
    );
    assert.equal(
      memberJson(data),
      '{"serviceEndpoint":{"host":"h","port":8000},"additionalEndpoints":{"http":{"host":"h","port":8000},' +
        '"aurora":{"host":"h","port":8000}},"status":"ALIVE","shard":3}',
    );
  });

  it('refuses a task whose primary port was not assigned', () => {
    assert.throws(
      () => memberData(withPorts({ health: 1 }), { primary_port: 'http', portmap: { aurora: 'http' } }, HOST),
      /no port named "http"/,
    );
  });
});

describe('desiredMembers', () => {
  const announced = spec({
    name: 'web',
    announce: { primary_port: 'http' },
    task: {
      processes: [{ name: 'main', cmdline: 'sleep 1000' }],
      resources: { cpu: 0.1, ram: '16MiB', disk: '16MiB', ports: ['http'] },
    },
  });
  const silent = spec({ name: 'batch' });
  const ports = { http: 31000 };
  const cases: { name: string; task: ObservedTask; announce: boolean }[] = [
    { name: 'running-without-health-check', task: task(announced, 0, { ports }), announce: true },
    { name: 'running-and-healthy', task: task(announced, 0, { ports, healthy: true }), announce: true },
    { name: 'running-but-unhealthy', task: task(announced, 0, { ports, healthy: false }), announce: false },
    { name: 'starting', task: task(announced, 0, { ports, state: 'STARTING' }), announce: false },
    { name: 'pending', task: task(announced, 0, { ports, state: 'PENDING' }), announce: false },
    { name: 'killing', task: task(announced, 0, { ports, state: 'KILLING' }), announce: false },
    { name: 'finished', task: task(announced, 0, { ports, state: 'FINISHED' }), announce: false },
    { name: 'lost', task: task(announced, 0, { ports, state: 'LOST' }), announce: false },
    { name: 'job-without-announce', task: task(silent, 0, { ports }), announce: false },
    { name: 'job-not-declared', task: task('local/www-data/prod/gone', 0, { ports }), announce: false },
    { name: 'primary-port-not-assigned', task: task(announced, 0, { ports: { other: 1 } }), announce: false },
    { name: 'a-cron-run', task: task(announced, 0, { ports, cronRun: 'schedule-x' }), announce: false },
  ];
  for (const { name, task: observed, announce } of cases) {
    it(name, () => {
      const desired = desiredMembers([announced, silent], [observed]);
      assert.deepEqual(
        desired.map((member) => member.task.taskId),
        announce ? [observed.taskId] : [],
      );
    });
  }

  it('uses the normalised announce config, with the aurora alias', () => {
    const [member] = desiredMembers([announced], [task(announced, 1, { ports })]);
    assert.equal(member?.job, announced);
    assert.deepEqual(member?.announce, { primary_port: 'http', portmap: { aurora: 'http' } });
  });

  it('announces every announceable instance, and only those', () => {
    const tasks = [
      task(announced, 0, { ports }),
      task(announced, 1, { ports, healthy: false }),
      task(announced, 2, { ports, healthy: true }),
    ];
    assert.deepEqual(
      desiredMembers([announced], tasks).map((member) => member.task.instance),
      [0, 2],
    );
  });
});
