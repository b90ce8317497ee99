/**
 * State store throughput: deployment records appended per second to the deployment log,
 * in its steady state (the log full at its limit of 1,000, so every append also prunes the
 * oldest), on the file store and on a real ZooKeeper. Each beside its floor: the same
 * bytes written durably as a new file (write, fsync, rename, fsync of the directory), or
 * created as a znode, one after another.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeploymentLog, type DeploymentRecord } from '../src/state/deployments.js';
import { FileStateStore } from '../src/state/file/file-store.js';
import type { StateStore } from '../src/state/types.js';
import { ZooKeeperStateStore } from '../src/state/zookeeper/zookeeper-store.js';
import { writeFileDurably } from '../src/util/durable-file.js';
import { ZkSession } from '../src/zookeeper/session.js';
import { startZooKeeper } from '../test/support/zookeeper.js';

export interface StoreThroughput {
  /** Deployment records appended per second. */
  perSecond: number;
  /** The same bytes written the plainest durable way, per second. */
  floorPerSecond: number;
}

const LIMIT = 1000;

export async function fileStoreThroughput(appends: number): Promise<StoreThroughput> {
  const dir = mkdtempSync(join(tmpdir(), 'borealis-bench-store-'));
  try {
    const store = await FileStateStore.open(join(dir, 'store'));
    const perSecond = await appendRate(store, appends).finally(() => store.close());
    const bytes = JSON.stringify(deployment(0));
    const floorPerSecond = await rate(appends, (i) => writeFileDurably(join(dir, `floor-${i}.json`), bytes));
    return { perSecond, floorPerSecond };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function zooKeeperThroughput(appends: number): Promise<StoreThroughput> {
  const server = await startZooKeeper();
  const session = await ZkSession.open({ connect: server.connect });
  try {
    const store = await ZooKeeperStateStore.open({ session, chroot: '/bench' });
    const perSecond = await appendRate(store, appends).finally(() => store.close());
    const bytes = Buffer.from(JSON.stringify(deployment(0)));
    await session.create('/floor');
    const floorPerSecond = await rate(appends, (i) => session.create(`/floor/n${i}`, bytes).then(() => {}));
    return { perSecond, floorPerSecond };
  } finally {
    session.close();
    await server.stop();
  }
}

/** Appends per second to a log already full at its limit. */
async function appendRate(store: StateStore, appends: number): Promise<number> {
  const log = new DeploymentLog(store, LIMIT);
  for (let i = 0; i < LIMIT; i += 100)
    await Promise.all(
      Array.from({ length: 100 }, (_, j) =>
        store.put(`deployments/${String(i + j + 1).padStart(12, '0')}`, {
          ...deployment(i + j),
          sequence: i + j + 1,
        }),
      ),
    );
  return rate(appends, (i) => log.append(deployment(LIMIT + i)).then(() => {}));
}

async function rate(count: number, write: (i: number) => Promise<void>): Promise<number> {
  const started = performance.now();
  for (let i = 0; i < count; i++) await write(i);
  return count / ((performance.now() - started) / 1000);
}

/** A deployment of a commit that changed one job: its plan, result and events. */
function deployment(n: number): Omit<DeploymentRecord, 'sequence' | 'format'> {
  const person = { name: 'Ada Lovelace', email: 'ada@example.com' };
  const job = `west/team-${n % 50}/prod/job-${n}`;
  return {
    commit: n.toString(16).padStart(40, '0'),
    parent_applied: (n - 1).toString(16).padStart(40, '0'),
    author: person,
    committer: person,
    date: new Date(1_790_000_000_000 + n * 60_000).toISOString(),
    message: `Raise ${job} to 12 instances and roll out build ${n}`,
    signature: { status: 'N', trusted: false, detail: 'unsigned' },
    trigger: 'watch',
    cluster: 'west',
    outcome: 'succeeded',
    jobs: [
      {
        job,
        action: 'update',
        result: 'succeeded',
        events: Array.from({ length: 12 }, (_, instance) => ({
          at: 1_790_000_000_000 + n * 60_000 + instance * 1000,
          instance,
          event: 'INSTANCE_UPDATED',
        })),
      },
    ],
    errors: [],
    started_at: new Date(1_790_000_000_000 + n * 60_000).toISOString(),
    finished_at: new Date(1_790_000_000_000 + n * 60_000 + 45_000).toISOString(),
  };
}
