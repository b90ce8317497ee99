import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { DeploymentLog, type DeploymentRecord } from '../../src/state/deployments.js';
import { FileStateStore } from '../../src/state/file/file-store.js';

type NewRecord = Omit<DeploymentRecord, 'sequence' | 'format'>;

const person = { name: 'Ada', email: 'ada@example.com' };
const record = (commit: string, outcome: DeploymentRecord['outcome'] = 'succeeded'): NewRecord => ({
  commit,
  parent_applied: null,
  author: person,
  committer: person,
  date: '2026-12-01T00:00:00Z',
  message: `commit ${commit}`,
  signature: { status: 'N', trusted: false, detail: 'unsigned' },
  trigger: 'watch',
  cluster: 'local',
  outcome,
  jobs: [],
  errors: [],
  started_at: '2026-12-01T00:00:00Z',
  finished_at: null,
});

describe('DeploymentLog', () => {
  let dir: string;
  let store: FileStateStore;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'borealis-log-'));
    store = await FileStateStore.open(dir);
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('gives concurrent appenders, in one process or two logs, distinct consecutive sequences', async () => {
    const [first, second] = [new DeploymentLog(store), new DeploymentLog(store)];
    const appended = await Promise.all(
      Array.from({ length: 30 }, (_, i) => (i % 2 === 0 ? first : second).append(record(`c${i}`))),
    );
    assert.deepEqual(
      appended.map((entry) => entry.sequence).sort((a, b) => a - b),
      Array.from({ length: 30 }, (_, i) => i + 1),
    );
    assert.equal((await first.list(100)).length, 30);
  });

  it('lists at most its limit, newest first, and keeps the store within a tenth more', async () => {
    const log = new DeploymentLog(store, 100);
    for (let i = 1; i <= 250; i++) await log.append(record(`c${i}`));
    const listed = (await log.list(1000)).map((entry) => entry.sequence);
    assert.deepEqual(
      listed,
      Array.from({ length: 100 }, (_, i) => 250 - i),
    );
    const stored = (await store.list('deployments')).length;
    assert.ok(stored >= 100 && stored < 110, `${stored} records stored`);
  });

  it('a log opened again prunes everything past its limit on its first append', async () => {
    const before = new DeploymentLog(store, 1000);
    for (let i = 1; i <= 60; i++) await before.append(record(`c${i}`));
    const after = new DeploymentLog(store, 20);
    assert.equal((await after.append(record('c61'))).sequence, 61);
    assert.deepEqual(
      (await store.list('deployments')).map(Number),
      Array.from({ length: 20 }, (_, i) => 42 + i),
    );
  });

  it('finds a commit by prefix, and the unfinished record a crash left', async () => {
    const log = new DeploymentLog(store);
    await log.append(record('aaaa1111'));
    const started = await log.append(record('bbbb2222', 'in_progress'));
    assert.equal((await log.unfinished('bbbb2222'))?.sequence, started.sequence);
    await log.update({ ...started, outcome: 'failed', finished_at: '2026-12-01T00:01:00Z' });
    assert.equal(await log.unfinished('bbbb2222'), null);
    assert.equal((await log.find('bbbb'))?.outcome, 'failed');
    assert.equal((await log.find('aaaa1111'))?.sequence, 1);
  });
});
