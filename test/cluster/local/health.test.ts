/** Health checks against real processes: HTTP and shell, passing and failing. */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { buildLaunch, healthCheckConfig, processConfig } from '../../support/launch-builder.js';
import { localClusterFixture, type LocalClusterFixture } from '../../support/local-cluster-fixture.js';
import { processesMentioning } from '../../support/process-table.js';
import { eventually } from '../../support/waiting.js';

/** A tiny HTTP server on $PORT_HTTP answering every path with the given body. */
function serverCommand(body: string): string {
  const script = `require("http").createServer((q, s) => s.end(q.url === "/health" ? "${body}" : "?")).listen(+process.env.PORT_HTTP, "127.0.0.1")`;
  return `exec "$NODE" -e '${script}'`;
}

const httpHealth = (expected: string) =>
  healthCheckConfig({
    http: { endpoint: '/health', expected_response: expected, expected_response_code: 200 },
  });

describe('local cluster: health checks', () => {
  let fx: LocalClusterFixture;
  beforeEach(async () => {
    fx = await localClusterFixture();
  });
  afterEach(async () => {
    await fx.cleanup();
  });

  it('stays STARTING until the HTTP check passes, then reports RUNNING and healthy', async () => {
    const launch = buildLaunch({
      processes: [processConfig('server', serverCommand('OK'))],
      resources: { ports: ['http'] },
      env: { NODE: process.execPath },
      health: httpHealth('ok'),
    });
    const running = await fx.start(launch);

    assert.equal(running.task.healthy, true);
    assert.equal(running.previous, 'STARTING');
    assert.deepEqual(fx.events.states(launch.taskId), ['STARTING', 'RUNNING']);
  });

  it('fails a task whose HTTP check never passes, with REASON_HEALTH_CHECK_FAILED', async () => {
    const launch = buildLaunch({
      processes: [processConfig('server', serverCommand('sick'))],
      resources: { ports: ['http'] },
      env: { NODE: process.execPath },
      health: httpHealth('ok'),
    });
    const failed = await fx.start(launch, 'FAILED');

    assert.equal(failed.task.reason, 'REASON_HEALTH_CHECK_FAILED');
    assert.equal(failed.task.healthy, false);
    assert.match(failed.task.message ?? '', /sick/);
    assert.ok(!fx.events.states(launch.taskId).includes('RUNNING'));
    await eventually(
      () => processesMentioning(fx.cluster.sandboxPath(launch.taskId)).length === 0,
      3000,
      'the server and supervisor to be gone',
    );
  });

  it('uses the shell check, with templates bound, when one is configured', async () => {
    const launch = buildLaunch({
      instance: 2,
      processes: [processConfig('main', 'touch "$MESOS_SANDBOX/{{mesos.instance}}.ready"; exec sleep 1000')],
      health: healthCheckConfig({ shell: { shell_command: 'test -e "{{mesos.instance}}.ready"' } }),
    });
    const running = await fx.start(launch);

    assert.equal(running.task.healthy, true);
  });

  it('fails a task whose shell check keeps failing', async () => {
    const launch = buildLaunch({
      processes: [processConfig('main', 'exec sleep 1000')],
      health: healthCheckConfig({ shell: { shell_command: 'exit 1' } }),
    });
    const failed = await fx.start(launch, 'FAILED');

    assert.equal(failed.task.reason, 'REASON_HEALTH_CHECK_FAILED');
  });
});
