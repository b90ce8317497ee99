/**
 * Finding the leading master over plain HTTP peers: each peer here answers one way a real
 * master can (307 to the leader, 503 while no leader is elected, the answer itself).
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { BorealisError } from '../../../src/errors.js';
import { postToLeader } from '../../../src/cluster/mesos/leader-http.js';
import { deadUrl, listen } from '../../support/http-peers.js';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

const servers: Server[] = [];

function peer(handler: Handler): Promise<string> {
  const server = createServer(handler);
  servers.push(server);
  return listen(server);
}

const hostOf = (url: string): string => new URL(url).host;

describe('postToLeader', () => {
  let leader: string;
  let follower: string;
  let electing: string;
  let looping: string;
  const seen: { contentType: string | undefined; accept: string | undefined }[] = [];

  before(async () => {
    leader = await peer((req, res) => {
      seen.push({ contentType: req.headers['content-type'], accept: req.headers.accept });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"type":"GET_HEALTH"}');
    });
    follower = await peer((_req, res) =>
      res.writeHead(307, { location: `//${hostOf(leader)}/api/v1` }).end(),
    );
    electing = await peer((_req, res) => res.writeHead(503).end('No leader elected'));
    looping = await peer((req, res) =>
      res.writeHead(307, { location: `//${req.headers.host}/api/v1` }).end(),
    );
  });
  after(async () => {
    for (const server of servers) server.closeAllConnections();
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  });

  const post = (masters: string[]) =>
    postToLeader(masters, { type: 'GET_HEALTH' }, { path: '/api/v1', call: 'GET_HEALTH' });

  it('follows a protocol-relative 307 and says which master answered', async () => {
    const { response, master } = await post([`${follower}/`]);
    assert.equal(response.status, 200);
    assert.equal(master, leader);
    assert.equal(await response.text(), '{"type":"GET_HEALTH"}');
    assert.deepEqual(seen.at(-1), { contentType: 'application/json', accept: 'application/json' });
  });

  it('skips masters that are unreachable or have no leader yet', async () => {
    const dead = await deadUrl();
    const { master, response } = await post([dead, electing, follower]);
    await response.text();
    assert.equal(master, leader);
  });

  it('names every master tried, and why, when none answers', async () => {
    const dead = await deadUrl();
    const error = await post([dead, electing, looping]).then(
      () => assert.fail('expected an error'),
      (e: unknown) => e,
    );
    assert.ok(error instanceof BorealisError);
    assert.equal(error.code, 'MESOS_NO_LEADER');
    assert.match(error.message, /GET_HEALTH/);
    assert.match(error.message, new RegExp(`${dead}: fetch failed \\(ECONNREFUSED\\)`));
    assert.match(error.message, new RegExp(`${electing}: 503 No leader elected`));
    assert.match(error.message, new RegExp(`${looping}: more than 5 redirects`));
  });

  it('gives up on a master that does not answer within the timeout', async () => {
    const silent = await peer(() => {});
    const options = { path: '/api/v1', call: 'GET_HEALTH', timeoutMs: 200 };
    const { master, response } = await postToLeader([silent, leader], { type: 'GET_HEALTH' }, options);
    await response.text();
    assert.equal(master, leader);
  });
});
