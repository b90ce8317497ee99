/**
 * The leader's view of its cluster: served by the daemon's HTTP server, checked by the
 * reader, preferred to the cluster itself only when it is whole and of the right cluster;
 * and where a directory's `watch` says it serves.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { announceWatch, leaderUrl } from '../../src/cli/compose/leader-address.js';
import { fetchLeaderView } from '../../src/cluster/leader-view/client.js';
import { LeaderFirstCluster } from '../../src/cluster/leader-view/leader-first-cluster.js';
import {
  observedView,
  ObservedViewCache,
  TASK_COLUMNS,
  type ObservedView,
} from '../../src/cluster/leader-view/wire.js';
import type { Cluster, ObservedTask } from '../../src/cluster/types.js';
import type { RunningServer } from '../../src/server/app.js';
import { ownIdentity } from '../../src/state/file/process-identity.js';
import { listen, recorder } from '../server/harness.js';

const task = (instance: number): ObservedTask => ({
  taskId: `prod-web-${instance}-x`,
  jobId: 'west/www/prod/web',
  instance,
  configHash: 'h1',
  commit: 'c1',
  state: 'RUNNING',
  healthy: true,
  updatedAt: 1_796_000_000_000,
  launchedAt: 1_795_999_000_000,
  host: `agent${instance}.example`,
  ports: { http: 31000 + instance },
});

/** A cluster that only counts how often it is read. */
function counted(tasks: ObservedTask[]): Cluster & { reads: number } {
  const cluster = {
    kind: 'mesos',
    reads: 0,
    snapshot: () => {
      cluster.reads++;
      return Promise.resolve(tasks);
    },
    launch: () => Promise.resolve(),
    kill: () => Promise.resolve(),
    forget: () => Promise.resolve(),
    subscribe: () => () => {},
    close: () => Promise.resolve(),
  };
  return cluster;
}

describe('GET /api/observed and its reader', () => {
  let answer: unknown = observedView('west', [task(0), task(1)]);
  let server: RunningServer;
  let silent: RunningServer;
  before(async () => {
    server = await listen(
      recorder(
        {},
        { observed: () => Promise.resolve(answer === undefined ? undefined : JSON.stringify(answer)) },
      ),
    );
    silent = await listen(recorder({}));
  });
  after(async () => {
    await server.close();
    await silent.close();
  });

  it('reads the tasks the leader serves, each as it was', async () => {
    const other = { ...task(2), jobId: 'west/www/prod/api', healthy: undefined, reason: 'R', message: 'M' };
    delete other.healthy;
    const killed = { ...task(1), state: 'KILLED' as const, killRequested: true };
    const runs = [
      { ...task(4), cronRun: 'schedule-20261208T0100Z' },
      { ...task(5), cronRun: 'schedule-20261208T0100Z' },
      { ...task(6), cronRun: 'manual-20261208T0102Z-1' },
    ];
    const tasks = [task(0), other, killed, { ...task(3), configHash: 'h2' }, ...runs];
    answer = observedView('west', tasks);
    assert.equal((answer as { groups: unknown[] }).groups.length, 5, 'by job, configuration and cron run');
    assert.ok((answer as ObservedView).strings.includes('R'), 'shared texts said once');
    const read = await fetchLeaderView({ url: server.url, cluster: 'west' });
    const byId = (list: ObservedTask[]) => [...list].sort((a, b) => a.taskId.localeCompare(b.taskId));
    assert.deepEqual(byId(read), byId(tasks));
  });

  /** The view of `tasks`, with its first row changed by `change`. */
  const withRow = (tasks: ObservedTask[], change: (row: unknown[]) => unknown[]) => {
    const view = observedView('west', tasks);
    view.groups[0]!.tasks[0] = change([...view.groups[0]!.tasks[0]!]);
    return view;
  };
  const column = (name: (typeof TASK_COLUMNS)[number]) => TASK_COLUMNS.indexOf(name);
  const refusals: [string, () => unknown, RegExp][] = [
    ['a follower (409)', () => undefined, /answered 409: .*does not lead/],
    ['another cluster', () => observedView('east', [task(0)]), /reconciles cluster "east", not "west"/],
    ['another format', () => ({ ...observedView('west', []), format: 1 }), /format 1, not 5/],
    [
      'other columns',
      () => ({ ...observedView('west', []), columns: [...TASK_COLUMNS].reverse() }),
      /answered the columns/,
    ],
    [
      'a group without its job',
      () => ({
        ...observedView('west', [task(0)]),
        groups: [{ ...observedView('west', [task(0)]).groups[0], jobId: 7 }],
      }),
      /a task that is not one/,
    ],
    [
      'a task in no known state',
      () => withRow([task(0)], (row) => row.with(column('state'), 'TASK_RUNNING')),
      /a task that is not one/,
    ],
    [
      'a text index to no string',
      () => withRow([task(0)], (row) => row.with(column('host'), 99)),
      /a task that is not one/,
    ],
    ['a short row', () => withRow([task(0)], (row) => row.slice(0, 3)), /a task that is not one/],
  ];
  for (const [name, body, error] of refusals)
    it(`refuses ${name}`, async () => {
      answer = body();
      await assert.rejects(fetchLeaderView({ url: server.url, cluster: 'west' }), error);
    });

  it('serialises a snapshot once, and again only for a new one', () => {
    const cache = new ObservedViewCache();
    const tasks = Object.freeze([task(0), task(1)]);
    const first = JSON.parse(cache.json('west', tasks, new Date(1_000))) as ObservedView;
    assert.deepEqual(first, observedView('west', tasks, new Date(1_000)));
    const again = JSON.parse(cache.json('west', tasks, new Date(2_000))) as ObservedView;
    assert.equal(again.observed_at, new Date(2_000).toISOString(), 'the time is always now');
    assert.deepEqual(again.groups, first.groups);
    const changed = Object.freeze([task(0), { ...task(1), state: 'KILLED' as const }]);
    assert.deepEqual(
      JSON.parse(cache.json('west', changed, new Date(3_000))),
      observedView('west', changed, new Date(3_000)),
    );
  });

  it('is a 404 where the server keeps no view', async () => {
    await assert.rejects(fetchLeaderView({ url: silent.url, cluster: 'west' }), /answered 404/);
  });

  it('reads the cluster itself only when the leader cannot say', async () => {
    const fallback = counted([task(7)]);
    let view: ObservedTask[] | undefined = [task(0)];
    const cluster = new LeaderFirstCluster({ view: () => Promise.resolve(view), fallback });
    assert.deepEqual(await cluster.snapshot(), [task(0)]);
    assert.equal(fallback.reads, 0);
    view = undefined;
    assert.deepEqual(await cluster.snapshot(), [task(7)]);
    assert.equal(fallback.reads, 1);
  });
});

describe("watch's announcement in a state directory", () => {
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), 'borealis-announce-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const where = () => ({ state: dir, localDir: dir });

  it('names the URL while the watch runs, and nothing once it is withdrawn', async () => {
    assert.deepEqual(await leaderUrl(where()), { none: 'no watch runs on this state directory' });
    const withdraw = await announceWatch(dir, 'west', 'http://127.0.0.1:7070');
    assert.deepEqual(await leaderUrl(where()), { url: 'http://127.0.0.1:7070' });
    await withdraw();
    assert.deepEqual(await leaderUrl(where()), { none: 'no watch runs on this state directory' });
  });

  it('ignores an announcement left by a process that is gone', async () => {
    // This very pid, but started at another time: the process that wrote it is gone.
    const gone = {
      pid: process.pid,
      process: { ...ownIdentity(), start: '1' },
      host: hostname(),
      url: 'http://127.0.0.1:7071',
      cluster: 'west',
      started_at: new Date().toISOString(),
    };
    writeFileSync(join(dir, 'watch.json'), JSON.stringify(gone));
    const found = await leaderUrl(where());
    assert.ok('none' in found && /is gone/.test(found.none), JSON.stringify(found));
  });

  it('does not withdraw what another watch announced since', async () => {
    const withdraw = await announceWatch(dir, 'west', 'http://127.0.0.1:7072');
    const file = join(dir, 'watch.json');
    writeFileSync(file, readFileSync(file, 'utf8').replace(`"pid": ${process.pid}`, '"pid": 1'));
    await withdraw();
    assert.match(readFileSync(file, 'utf8'), /7072/);
  });
});
