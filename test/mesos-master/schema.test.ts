/** The test master's message table: the corrected fixtures are clean, typos are found at depth. */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parseMesosJson } from '../../src/cluster/mesos/json.js';
import { validateMessage } from '../support/mesos-master/schema.js';
import { MESOS_FIXTURES } from '../support/fixtures.js';

const FIXTURES = `${MESOS_FIXTURES}corrected/`;

const launchCall = (task: Record<string, unknown>): unknown => ({
  framework_id: { value: 'f' },
  type: 'ACCEPT',
  accept: {
    offer_ids: [{ value: 'o' }],
    operations: [{ type: 'LAUNCH', launch: { task_infos: [task] } }],
  },
});

const baseTask = { name: 't', task_id: { value: 't' }, agent_id: { value: 'a' } };

describe('test Mesos master: message table', () => {
  it('finds nothing wrong in the corrected scheduler request fixtures', () => {
    const files = readdirSync(FIXTURES).filter(
      (f) => f.includes('.scheduler.') && f.endsWith('.request.json'),
    );
    assert.ok(files.length >= 8);
    for (const file of files) {
      const result = validateMessage(parseMesosJson(readFileSync(FIXTURES + file, 'utf8')), 'Call');
      assert.deepEqual(result, { violations: [], errors: [] }, file);
    }
  });

  it('reports unknown fields in nested TaskInfo messages with their paths', () => {
    const task = {
      ...baseTask,
      command: { shell: true, value: 'x', envrionment: {} },
      labels: { labels: [{ key: 'k', valeu: 'v' }] },
      kill_policy: { grace_period: { nanoseconds: 1_000_000_000 }, grace: 1 },
      discovery: { visibility: 'FRAMEWORK', ports: { ports: [{ number: 80, protocl: 'tcp' }] } },
      resources: [{ name: 'cpus', type: 'SCALAR', scalar: { value: 1 }, reservation_info: {} }],
      helthcheck: {},
    };
    const paths = validateMessage(launchCall(task), 'Call').violations.map((v) => v.path);
    const prefix = 'accept.operations[0].launch.task_infos[0]';
    assert.deepEqual(
      paths.sort(),
      [
        'command.envrionment',
        'discovery.ports.ports[0].protocl',
        'helthcheck',
        'kill_policy.grace',
        'labels.labels[0].valeu',
        'resources[0].reservation_info',
      ].map((p) => `${prefix}.${p}`),
    );
  });

  it('treats missing required fields, wrong JSON types and bad required enums as errors', () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ task_id: { value: 't' }, agent_id: { value: 'a' } }, /name: missing required/],
      [{ ...baseTask, resources: [{ name: 'cpus', type: 'SCALER' }] }, /unknown value 'SCALER'/],
      [{ ...baseTask, discovery: { name: 'x' } }, /visibility: missing required/],
      [{ ...baseTask, resources: { name: 'cpus' } }, /expected a JSON array/],
      [{ ...baseTask, command: { shell: 'yes' } }, /shell: expected bool/],
    ];
    for (const [task, error] of cases) {
      const result = validateMessage(launchCall(task), 'Call');
      assert.match(result.errors.join('\n'), error);
    }
  });

  it('records unknown values of optional enums as violations, not errors', () => {
    const call = {
      type: 'SUBSCRIBE',
      subscribe: {
        framework_info: { user: 'u', name: 'n', capabilities: [{ type: 'PARTITION_AWARENESS' }] },
      },
    };
    const result = validateMessage(call, 'Call');
    assert.deepEqual(result.errors, []);
    assert.deepEqual(
      result.violations.map((v) => [v.kind, v.path]),
      [['unknown-enum-value', 'subscribe.framework_info.capabilities[0].type']],
    );
  });
});
