/**
 * A real `borealis watch` process under hostile HTTP: an idle-connection flood leaves
 * /healthz answering within a second and is logged and counted; a webhook replayed after
 * the daemon restarted (its id re-spelled, or a fresh one) is refused, as is one without
 * an id. The connection limits are lowered by flags so a few hundred sockets exceed them.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { signGeneric } from '../../src/server/signatures/generic.js';
import { DeployEnv } from '../support/deploy-env.js';
import { sleeperJob } from '../support/jobs.js';
import { ReconcilerProcess } from '../support/reconciler-process.js';
import { withTimeout } from '../support/waiting.js';
import { freePort } from '../support/zookeeper.js';

const SECRET = 'sesame';

describe('watch under hostile HTTP', () => {
  let env: DeployEnv;
  let reconciler: ReconcilerProcess;
  let port: number;
  const sockets: Socket[] = [];
  const body = JSON.stringify({ ref: 'refs/heads/main', after: randomUUID() });
  const delivery = randomUUID();

  const start = async (name: string) => {
    port = await freePort();
    reconciler = new ReconcilerProcess(name, {
      repo: env.repo.dir,
      state: env.state,
      watchArgs: [
        '--listen',
        `127.0.0.1:${port}`,
        '--max-connections',
        '40',
        '--max-connections-per-client',
        '5',
      ],
      env: { BOREALIS_WEBHOOK_SECRET: SECRET },
    });
    await reconciler.waitFor(/watching .*; HTTP on/, 60_000);
  };
  const stop = async () => {
    reconciler.kill('SIGTERM');
    await reconciler.exited;
  };
  const hook = async (id: string | undefined) => {
    const response = await fetch(`http://127.0.0.1:${port}/hooks/generic`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-signature': signGeneric(SECRET, body),
        ...(id === undefined ? {} : { 'x-delivery': id }),
      },
      body,
    });
    return response.status;
  };
  const refusals = async (reason: string) => {
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    const line = new RegExp(`^borealis_http_refusals_total\\{reason="${reason}"\\} (\\d+)$`, 'm').exec(text);
    return Number(line?.[1] ?? 0);
  };

  before(async () => {
    env = new DeployEnv();
    env.commitJobs('one job', [sleeperJob('web', { instances: 1 })]);
    await start('hostile-http');
  });
  after(async () => {
    for (const socket of sockets) socket.destroy();
    await stop();
    await env.cleanup();
  });

  it('answers /healthz within a second under an idle-connection flood, and logs and counts it', async () => {
    // 300 half-sent requests from 15 addresses, against 40 slots and 5 per address.
    const opening = Array.from({ length: 300 }, (_, i) => halfRequest(port, `127.0.2.${1 + (i % 15)}`));
    sockets.push(...(await Promise.all(opening)));
    const health = await withTimeout(
      fetch(`http://127.0.0.1:${port}/healthz`),
      1_000,
      '/healthz under the flood',
    );
    assert.equal(health.status, 200);
    // Every slot taken by idle connections: each newcomer closes the oldest idle one.
    await reconciler.waitFor(
      /http refused \(idle_connection_evicted\): closed an idle connection of 127\.0\.2\./,
      10_000,
    );
    assert.ok((await refusals('idle_connection_evicted')) >= 300 - 40);
    const logged = reconciler.lines.filter((line) => /http refused/.test(line)).length;
    assert.ok(logged < 20, `refusals logged at a bounded rate, not ${logged} lines`);
    for (const socket of sockets.splice(0)) socket.destroy();
  });

  it('refuses, after a restart, a delivery accepted before it, and one without an id', async () => {
    assert.equal(await hook(delivery), 202);
    await reconciler.waitFor(/webhook from generic/, 10_000);
    await stop();
    assert.ok(
      existsSync(join(env.state, 'webhook-deliveries.jsonl')),
      'the window is kept in the state directory',
    );
    await start('hostile-http-restarted');
    assert.equal(await hook(delivery.toUpperCase()), 409);
    assert.equal(await hook(randomUUID()), 409);
    assert.equal(await hook(undefined), 400);
    assert.equal(await refusals('replay'), 2);
    assert.equal(await refusals('missing_delivery_id'), 1);
    assert.equal(reconciler.lines.filter((line) => /webhook from generic/.test(line)).length, 0, 'no fetch');
  });
});

/** A connection that sends the start of a request and then nothing; resolves once connected or closed. */
function halfRequest(port: number, from: string): Promise<Socket> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1', localAddress: from });
    socket.on('error', () => {}); // a refused connection is reset: expected
    socket.once('close', () => resolve(socket));
    socket.once('connect', () => {
      socket.write('GET /healthz HTTP/1.1\r\nHost: borealis\r\nX-Slow: ');
      resolve(socket);
    });
  });
}
