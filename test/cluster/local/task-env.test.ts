import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TaskRecord } from '../../../src/cluster/local/records.js';
import {
  healthPort,
  portEnvName,
  renderTask,
  resolvePortmap,
  taskEnvironment,
} from '../../../src/cluster/local/task-env.js';
import { buildLaunch, processConfig, type LaunchOptions } from '../../support/launch-builder.js';

function record(ports: Record<string, number>, options: LaunchOptions = {}): TaskRecord {
  return { ...buildLaunch(options), ports, hostname: 'h', launchedAt: 0 };
}

describe('task environment', () => {
  it('names port variables PORT_<NAME>', () => {
    assert.equal(portEnvName('http'), 'PORT_HTTP');
    assert.equal(portEnvName('admin-port'), 'PORT_ADMIN_PORT');
  });

  it('layers base env, job env, then the agent variables', () => {
    const env = taskEnvironment(record({ http: 80 }, { env: { A: 'job', PORT_HTTP: 'job' } }), '/sb', {
      A: 'base',
      B: 'base',
    });
    assert.deepEqual([env.A, env.B, env.PORT_HTTP, env.MESOS_SANDBOX], ['job', 'base', '80', '/sb']);
  });

  it('renders every command line and the shell health check', () => {
    const rendered = renderTask(
      record(
        { http: 80 },
        {
          processes: [
            processConfig('a', 'serve {{thermos.ports[http]}}'),
            processConfig('b', 'echo {{mesos.instance}}'),
          ],
          health: {
            shell: { shell_command: 'curl :{{thermos.ports[http]}}' },
            initial_interval_secs: 1,
            interval_secs: 1,
            timeout_secs: 1,
            max_consecutive_failures: 0,
            min_consecutive_successes: 1,
          },
        },
      ),
    );
    assert.deepEqual(rendered, { commands: { a: 'serve 80', b: 'echo 0' }, healthShellCommand: 'curl :80' });
  });
});

describe('health port', () => {
  const cases: [
    string,
    Record<string, number>,
    Record<string, string | number> | undefined,
    number | undefined,
  ][] = [
    ['the health port when requested', { http: 1, health: 2 }, undefined, 2],
    ['else the http port', { http: 1 }, undefined, 1],
    ['an announce alias for health', { admin: 3, http: 1 }, { health: 'admin' }, 3],
    ['a fixed health port', { http: 1 }, { health: 9999 }, 9999],
    ['none without either', { admin: 3 }, undefined, undefined],
  ];
  for (const [name, ports, portmap, expected] of cases) {
    it(name, () => {
      const options: LaunchOptions =
        portmap === undefined ? {} : { announce: { primary_port: 'http', portmap } };
      assert.equal(healthPort(record(ports, options)), expected);
    });
  }

  it('follows alias chains and ignores dangling ones', () => {
    assert.deepEqual(resolvePortmap({ http: 1 }, { aurora: 'web', web: 'http', bad: 'nowhere' }), {
      http: 1,
      aurora: 1,
      web: 1,
    });
  });
});
