/**
 * The scheduler client against a small real HTTP peer that answers as a Mesos master
 * does (the protocol-faithful test master covers the full behaviour): exact content type,
 * 307 with a protocol-relative Location, a RecordIO event stream, stream ids on calls.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { encodeRecord } from '../../../src/cluster/mesos/recordio.js';
import {
  leaderFromLocation,
  sendCall,
  subscribe,
  type SchedulerEvent,
} from '../../../src/cluster/mesos/scheduler-client.js';
import { calls } from '../../../src/cluster/mesos/scheduler-messages.js';
import { MESOS_FIXTURES } from '../../support/fixtures.js';

const FIXTURES = `${MESOS_FIXTURES}corrected/`;
const fixture = (name: string) => readFileSync(`${FIXTURES}${name}`, 'utf8');

interface Received {
  contentType: string | undefined;
  streamId: string | undefined;
  body: Record<string, unknown>;
}

function body(request: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    request.on('data', (chunk: Buffer) => (text += chunk.toString()));
    request.on('end', () => resolve(text));
  });
}

describe('scheduler client', () => {
  let leader: Server;
  let follower: Server;
  let leaderUrl: string;
  let followerUrl: string;
  const received: Received[] = [];
  const streams: ServerResponse[] = [];
  let sendHeartbeats = true;

  before(async () => {
    leader = createServer((request, response) => {
      void body(request).then((text) => {
        received.push({
          contentType: request.headers['content-type'],
          streamId: request.headers['mesos-stream-id'] as string | undefined,
          body: JSON.parse(text) as Record<string, unknown>,
        });
        if (request.headers['content-type'] !== 'application/json') return response.writeHead(415).end();
        const call = JSON.parse(text) as { type: string };
        if (call.type !== 'SUBSCRIBE') return response.writeHead(202).end();
        response.writeHead(200, { 'content-type': 'application/json', 'mesos-stream-id': 'stream-1' });
        const subscribed = JSON.parse(fixture('SUBSCRIBED.scheduler.event.json')) as {
          subscribed: Record<string, unknown>;
        };
        subscribed.subscribed.heartbeat_interval_seconds = 0.2;
        response.write(encodeRecord(JSON.stringify(subscribed)));
        response.write(encodeRecord(fixture('OFFERS.scheduler.event.json')));
        streams.push(response);
        const timer = setInterval(
          () => sendHeartbeats && response.write(encodeRecord('{"type":"HEARTBEAT"}')),
          100,
        );
        response.on('close', () => clearInterval(timer));
      });
    });
    await new Promise<void>((resolve) => leader.listen(0, '127.0.0.1', resolve));
    leaderUrl = `http://127.0.0.1:${(leader.address() as AddressInfo).port}`;
    follower = createServer((request, response) => {
      response
        .writeHead(307, {
          location: `//127.0.0.1:${(leader.address() as AddressInfo).port}/api/v1/scheduler`,
        })
        .end();
    });
    await new Promise<void>((resolve) => follower.listen(0, '127.0.0.1', resolve));
    followerUrl = `http://127.0.0.1:${(follower.address() as AddressInfo).port}`;
  });
  after(async () => {
    for (const stream of streams) stream.destroy();
    await new Promise((resolve) => leader.close(resolve));
    await new Promise((resolve) => follower.close(resolve));
  });

  it('resolves a protocol-relative Location against the scheme in use', () => {
    assert.equal(leaderFromLocation('http://m1:5050', '//m2:5050/api/v1/scheduler'), 'http://m2:5050');
    assert.equal(leaderFromLocation('https://m1:5050', '//m2:5050/api/v1/scheduler'), 'https://m2:5050');
  });

  it('follows the 307 to the leader, subscribes with exactly application/json, and streams events', async () => {
    const events: SchedulerEvent[] = [];
    let offersSeen!: () => void;
    const offers = new Promise<void>((resolve) => (offersSeen = resolve));
    const subscription = await subscribe({
      masters: [followerUrl],
      framework: { user: 'root', roles: ['prod'] },
      frameworkId: 'fw-1',
      onEvent: (event) => {
        events.push(event);
        if (event.type === 'OFFERS') offersSeen();
      },
    });
    try {
      assert.equal(subscription.master, leaderUrl);
      assert.equal(subscription.streamId, 'stream-1');
      const sent = received.at(-1)!;
      assert.equal(sent.contentType, 'application/json');
      assert.equal(sent.streamId, undefined, 'SUBSCRIBE carries no stream id');
      assert.deepEqual(sent.body.framework_id, { value: 'fw-1' });
      const info = (sent.body.subscribe as { framework_info: Record<string, unknown> }).framework_info;
      assert.deepEqual(info.id, { value: 'fw-1' }, 'both framework ids set on a re-subscribe');
      assert.deepEqual(info.capabilities, [
        { type: 'MULTI_ROLE' },
        { type: 'TASK_KILLING_STATE' },
        { type: 'PARTITION_AWARE' },
      ]);
      assert.equal(info.failover_timeout, 604800);
      assert.equal(info.checkpoint, true);
      assert.equal(info.role, undefined, 'MULTI_ROLE frameworks must not set role');
      await offers;
      assert.deepEqual(events.map((e) => e.type).slice(0, 2), ['SUBSCRIBED', 'OFFERS']);

      await sendCall(subscription, calls.decline(['offer-1'], 30));
      const call = received.at(-1)!;
      assert.equal(call.streamId, 'stream-1');
      assert.deepEqual(call.body, {
        framework_id: { value: subscription.frameworkId },
        type: 'DECLINE',
        decline: { offer_ids: [{ value: 'offer-1' }], filters: { refuse_seconds: 30 } },
      });
    } finally {
      subscription.close();
    }
  });

  it('ends the subscription when heartbeats stop', async () => {
    const subscription = await subscribe({
      masters: [leaderUrl],
      framework: { user: 'root', roles: ['prod'] },
      onEvent: () => {},
      missedHeartbeats: 3,
    });
    sendHeartbeats = false;
    try {
      assert.match(await subscription.ended, /no heartbeat for 0\.6\d* s/);
    } finally {
      sendHeartbeats = true;
      subscription.close();
    }
  });
});
