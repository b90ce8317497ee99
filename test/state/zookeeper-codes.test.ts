/** Borealis names ZooKeeper's error codes itself (so the client library loads only with a session). */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import zookeeper from 'node-zookeeper-client';
import { ZK_CODES } from '../../src/zookeeper/session.js';

it("ZK_CODES are node-zookeeper-client's own codes", () => {
  const library = zookeeper.Exception as unknown as Record<string, number>;
  for (const [name, code] of Object.entries(ZK_CODES)) assert.equal(code, library[name], name);
});
