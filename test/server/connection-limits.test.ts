/**
 * The server under hostile connections, through real sockets on 127.0.0.x: an idle or
 * half-sent connection flood does not keep /healthz or a webhook from being answered,
 * headers over the limit get a 431 (not a reset), slow headers are cut off, and every
 * refusal is counted and logged at a bounded rate. The limits are lowered so that a few
 * hundred sockets exceed them.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { RunningServer } from '../../src/server/app.js';
import { OVERLOAD_LOG_BURST } from '../../src/server/overload.js';
import { signGeneric } from '../../src/server/signatures/generic.js';
import { withTimeout } from '../support/waiting.js';
import { listen, post, recorder, type Recorder } from './harness.js';

const SECRET = 'generic-secret';
const LIMITS = { maxConnections: 60, maxConnectionsPerClient: 10 };

interface Opened {
  socket: Socket;
  closed: Promise<void>;
}

/** A connection from `from` that sends the start of a request and then nothing. */
function halfRequest(port: number, from: string): Promise<Opened> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1', localAddress: from });
    const closed = new Promise<void>((done) => socket.once('close', () => done()));
    socket.on('error', () => {}); // a refused connection is reset: expected
    socket.once('connect', () => {
      socket.write('GET /healthz HTTP/1.1\r\nHost: borealis\r\nX-Slow: ');
      resolve({ socket, closed });
    });
    closed.then(
      () => reject(new Error('closed before connecting')),
      () => {},
    );
  });
}

/** Reads one response's status line from a raw socket that sends `head`, then `rest` in chunks. */
function rawRequest(port: number, head: string, rest: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1' });
    let received = '';
    socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
    socket.on('error', (error) => reject(new Error(`${error.message} after ${JSON.stringify(received)}`)));
    socket.on('close', () => resolve(received));
    socket.write(head);
    // Keeps sending after the server has answered, as a client uploading big headers does.
    const chunk = 4096;
    const send = (offset: number) => {
      if (offset >= rest.length || socket.destroyed) return;
      socket.write(rest.slice(offset, offset + chunk), () => setImmediate(() => send(offset + chunk)));
    };
    send(0);
  });
}

describe('connection limits', () => {
  const rec: Recorder = recorder({ generic: SECRET });
  let server: RunningServer;
  let port: number;
  const opened: Opened[] = [];
  before(async () => {
    // A long headers timeout: here the caps, not the timeout, must keep the server reachable.
    server = await listen(rec, { ...LIMITS, headersTimeoutMs: 60_000 });
    port = Number(new URL(server.url).port);
  });
  after(async () => {
    for (const { socket } of opened) socket.destroy();
    await server.close();
  });

  it('closes at once the connections one client opens beyond its limit', async () => {
    const attempts = await Promise.allSettled(
      Array.from({ length: 300 }, () => halfRequest(port, '127.0.0.2')),
    );
    const connected = attempts.flatMap((a) => (a.status === 'fulfilled' ? [a.value] : []));
    opened.push(...connected);
    // Each connection beyond the limit is accepted by the kernel, then closed by the server.
    const beyond = connected.length - LIMITS.maxConnectionsPerClient;
    await withTimeout(closedCount(connected, beyond), 10_000, `${beyond} connections closed`);
    const held = connected.filter((c) => !c.socket.destroyed && !c.socket.readableEnded);
    assert.equal(held.length, LIMITS.maxConnectionsPerClient, 'the client keeps exactly its limit');
    assert.equal(
      rec.refusals.filter((r) => r === 'client_connection_limit').length,
      attempts.length - LIMITS.maxConnectionsPerClient,
    );
  });

  it('answers /healthz within a second while a flood from many addresses fills every slot', async () => {
    // 20 addresses × 10 idle connections: 200 against 60 slots (10 already held by 127.0.0.2).
    const flood = await Promise.allSettled(
      Array.from({ length: 200 }, (_, i) => halfRequest(port, `127.0.1.${1 + (i % 20)}`)),
    );
    opened.push(...flood.flatMap((a) => (a.status === 'fulfilled' ? [a.value] : [])));
    // Within a second (times BOREALIS_TEST_TIME_SCALE, see time-scale.ts).
    const health = await withTimeout(fetch(`${server.url}/healthz`), 1_000, '/healthz under the flood');
    assert.equal(health.status, 200);
    assert.ok(rec.refusals.includes('idle_connection_evicted'), 'idle connections made room');
  });

  it('accepts a webhook pushed during the flood', async () => {
    const body = JSON.stringify({ ref: 'refs/heads/main', after: randomUUID() });
    const answer = await post(`${server.url}/hooks/generic`, body, {
      'content-type': 'application/json',
      'x-signature': signGeneric(SECRET, body),
      'x-delivery': randomUUID(),
    });
    assert.equal(answer.status, 202);
    assert.equal(rec.pushes.length, 1);
  });

  it('logs the refusals at a bounded rate, not once per connection', () => {
    const refusalLines = rec.logs.filter((line) => line.startsWith('http refused'));
    assert.ok(rec.refusals.length > 200, `${rec.refusals.length} refusals`);
    assert.ok(refusalLines.length <= 3 * OVERLOAD_LOG_BURST, refusalLines.join('\n'));
    assert.match(
      refusalLines[0] ?? '',
      /^http refused \(client_connection_limit\): closed a new connection from 127\.0\.0\.2/,
    );
  });
});

describe('slow and oversized request headers', () => {
  const rec: Recorder = recorder({});
  let server: RunningServer;
  let port: number;
  before(async () => {
    server = await listen(rec, { headersTimeoutMs: 300, maxHeaderBytes: 8 * 1024 });
    port = Number(new URL(server.url).port);
  });
  after(() => server.close());

  it('closes a connection that sends no complete headers within the headers timeout', async () => {
    const slow = await halfRequest(port, '127.0.0.3');
    await withTimeout(slow.closed, 5_000, 'the slow connection closed');
    assert.deepEqual(rec.refusals, ['headers_timeout']);
  });

  it('keeps an answered keep-alive connection open past the headers timeout, for its client to reuse', async () => {
    rec.reset();
    const socket = connect({ port, host: '127.0.0.1' });
    let received = '';
    const answers = () => (received.match(/HTTP\/1\.1 200 /g) ?? []).length;
    let changed = () => {};
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('latin1');
      changed();
    });
    socket.on('close', () => changed());
    const answered = (count: number) =>
      new Promise<void>((resolve, reject) => {
        changed = () => {
          if (answers() >= count) resolve();
          else if (socket.destroyed) reject(new Error(`closed after ${JSON.stringify(received)}`));
        };
        changed();
      });
    const request = 'GET /healthz HTTP/1.1\r\nHost: borealis\r\nConnection: keep-alive\r\n\r\n';
    socket.write(request);
    await withTimeout(answered(1), 5_000, 'the first answer');
    // A connection opened after the answer is cut off by the headers timeout: by then the
    // answered one has been idle for longer than that timeout too.
    const slow = await halfRequest(port, '127.0.0.3');
    await withTimeout(slow.closed, 5_000, 'the slow connection closed');
    socket.write(request);
    await withTimeout(answered(2), 5_000, 'the second answer on the same connection');
    socket.destroy();
  });

  it('answers headers just over the limit with 431 and a JSON error, also while the client still sends', async () => {
    rec.reset();
    const head = 'GET /healthz HTTP/1.1\r\nHost: borealis\r\n';
    const over = `X-Big: ${'a'.repeat(9 * 1024)}\r\n`;
    const answer = await withTimeout(rawRequest(port, head, `${over.repeat(8)}\r\n`), 10_000, 'the 431');
    assert.match(answer, /^HTTP\/1\.1 431 Request Header Fields Too Large\r\n/);
    assert.match(answer, /\{"error":"request headers are larger than the limit of 8192 bytes"\}$/);
    assert.deepEqual(rec.refusals, ['header_too_large']);
    const viaFetch = await fetch(`${server.url}/healthz`, { headers: { 'x-big': 'a'.repeat(9 * 1024) } });
    assert.equal(viaFetch.status, 431);
    assert.equal((await fetch(`${server.url}/healthz`)).status, 200, 'and the server still answers');
  });
});

/** Resolves once `count` of the connections have closed. */
function closedCount(connections: Opened[], count: number): Promise<void> {
  let closed = 0;
  return new Promise((resolve) => {
    if (count <= 0) resolve();
    for (const { closed: done } of connections) {
      void done.then(() => {
        closed += 1;
        if (closed === count) resolve();
      });
    }
  });
}
