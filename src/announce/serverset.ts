/**
 * Aurora-compatible ServerSet announcement: one EPHEMERAL_SEQUENTIAL `member_` node per
 * announced task under `/<root>/<role>/<environment>/<name>`, so Finagle and every other
 * ServerSet reader finds Borealis's instances exactly as it found Aurora's.
 *
 * The nodes belong to Borealis's ZooKeeper session, not to the tasks: nothing removes a
 * member when its task dies except this class. Every `sync` therefore converges the whole
 * announced set to what the cluster reports, and a node this class failed to remove is
 * kept on a list and retried until it is gone.
 */
import type { ObservedTask } from '../cluster/types.js';
import type { ZkSession } from '../zookeeper/session.js';
import { hasCode, ZK_CODES } from '../zookeeper/session.js';
import type { JobKey, JobSpec } from '../jobspec/types.js';
import { desiredMembers, memberData, memberJson } from './members.js';

export interface ServerSetAnnouncerOptions {
  session: ZkSession;
  /** ServerSet root path; Aurora's default. */
  root?: string;
  log?: (line: string) => void;
}

/** A member node this announcer created (or adopted) for a task. */
interface Member {
  taskId: string;
  path: string;
  json: string;
}

/** What a task's member should look like. */
interface Wanted {
  taskId: string;
  dir: string;
  json: string;
}

const MEMBER_PREFIX = 'member_';

export class ServerSetAnnouncer {
  private session: ZkSession;
  private readonly root: string;
  private readonly log: (line: string) => void;
  /** Live members by task id. */
  private readonly members = new Map<string, Member>();
  /** Own nodes to delete: replaced, withdrawn or adopted-but-stale members whose removal is pending or failed. */
  private readonly orphans = new Set<string>();
  /** Tasks withdrawn ahead of a kill: never announced again, even while still RUNNING. */
  private readonly withdrawn = new Set<string>();
  /** Directories known to exist, so a steady-state sync costs no mkdirp round trips. */
  private readonly ensured = new Set<string>();
  /** Directories where a create's outcome is unknown (connection loss): the node may exist. */
  private readonly suspect = new Set<string>();
  /** Read every directory for own nodes on the next sync: at start and on a new session. */
  private rebuildAll = true;
  /** Bumped whenever the session's nodes are lost, so late results of old operations are ignored. */
  private epoch = 0;
  private queue: Promise<unknown> = Promise.resolve();
  private detach: () => void;

  constructor(options: ServerSetAnnouncerOptions) {
    this.session = options.session;
    this.root = normaliseRoot(options.root ?? '/aurora');
    this.log = options.log ?? (() => undefined);
    this.detach = this.watch(options.session);
  }

  /** `/<root>/<role>/<environment>/<name>`. */
  pathOf(key: JobKey): string {
    return `${this.root}/${key.role}/${key.environment}/${key.name}`;
  }

  /** Task id → member path of every member currently announced. */
  announced(): Map<string, string> {
    return new Map([...this.members].map(([taskId, member]) => [taskId, member.path]));
  }

  /**
   * Converges ZooKeeper to `desiredMembers(jobs, tasks)`: creates missing members, replaces
   * those whose data changed (new member first, so the instance never drops out), and
   * removes the rest. Throws when the session is gone (see `replaceSession`) or when any
   * operation failed; what did succeed is kept, and the next sync retries the remainder.
   */
  sync(jobs: readonly JobSpec[], tasks: readonly ObservedTask[]): Promise<void> {
    return this.serialise(() => this.converge(jobs, tasks));
  }

  /**
   * Takes tasks out of their ServerSets before they are killed, so clients stop sending
   * requests first. Withdrawn tasks stay out even if a later sync still sees them RUNNING.
   */
  withdraw(taskIds: readonly string[]): Promise<void> {
    for (const taskId of taskIds) this.withdrawn.add(taskId);
    return this.serialise(() => this.leave(taskIds));
  }

  /**
   * Switches to a new session after the old one expired (its ephemeral members are gone).
   * The next sync re-announces every desired member on the new session.
   */
  replaceSession(session: ZkSession): void {
    this.detach();
    this.forgetSession(`session replaced by ${session.id}`);
    this.session = session;
    this.detach = this.watch(session);
  }

  private watch(session: ZkSession): () => void {
    const lost = () => this.forgetSession(`session ${session.id} ${session.state}`);
    session.on('expired', lost);
    session.on('closed', lost);
    return () => {
      session.off('expired', lost);
      session.off('closed', lost);
    };
  }

  /** ZooKeeper dropped every ephemeral node of the session: nothing is announced any more. */
  private forgetSession(why: string): void {
    if (this.members.size > 0) this.log(`announce: ${why}; ${this.members.size} members gone`);
    this.epoch += 1;
    this.members.clear();
    this.orphans.clear();
    this.ensured.clear();
    this.suspect.clear();
    this.rebuildAll = true;
  }

  /** One sync or withdraw at a time: each computes its changes from the state the previous left. */
  private serialise(work: () => Promise<void>): Promise<void> {
    const run = this.queue.then(work, work);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async converge(jobs: readonly JobSpec[], tasks: readonly ObservedTask[]): Promise<void> {
    this.requireLiveSession();
    this.pruneWithdrawn(tasks);
    const wanted = this.wantedMembers(jobs, tasks);
    await this.adoptOwnNodes(jobs, wanted);
    const fresh = [...wanted.values()].filter((want) => this.members.get(want.taskId)?.json !== want.json);
    const created = await settle(fresh.map((want) => this.join(want)));
    this.retireStale(wanted);
    const removed = await this.removeOrphans();
    throwIfFailed([...created, ...removed]);
  }

  private async leave(taskIds: readonly string[]): Promise<void> {
    for (const taskId of taskIds) {
      const member = this.members.get(taskId);
      if (!member) continue;
      this.members.delete(taskId);
      this.orphans.add(member.path);
    }
    if (this.session.state === 'expired' || this.session.state === 'closed') return;
    throwIfFailed(await this.removeOrphans());
  }

  private requireLiveSession(): void {
    const state = this.session.state;
    if (state === 'expired' || state === 'closed') {
      throw new Error(
        `announce: ZooKeeper session ${this.session.id} is ${state}; hand over a new one with replaceSession`,
      );
    }
  }

  /** Task ids are unique forever: once a withdrawn task is no longer reported, it is never seen again. */
  private pruneWithdrawn(tasks: readonly ObservedTask[]): void {
    const reported = new Set(tasks.map((task) => task.taskId));
    for (const taskId of this.withdrawn) if (!reported.has(taskId)) this.withdrawn.delete(taskId);
  }

  private wantedMembers(jobs: readonly JobSpec[], tasks: readonly ObservedTask[]): Map<string, Wanted> {
    const wanted = new Map<string, Wanted>();
    for (const { job, announce, task } of desiredMembers(jobs, tasks)) {
      if (this.withdrawn.has(task.taskId)) continue;
      const json = memberJson(memberData(task, announce, task.host));
      wanted.set(task.taskId, { taskId: task.taskId, dir: this.pathOf(job.key), json });
    }
    return wanted;
  }

  /**
   * Moves members of tasks no longer wanted to the orphans. A member whose replacement
   * could not be created stays: stale data is better than no member, and the next sync
   * retries (replaced members were already orphaned by `join`).
   */
  private retireStale(wanted: Map<string, Wanted>): void {
    for (const member of [...this.members.values()]) {
      if (wanted.has(member.taskId)) continue;
      this.members.delete(member.taskId);
      this.orphans.add(member.path);
    }
  }

  private async join(want: Wanted): Promise<void> {
    const epoch = this.epoch;
    const path = await this.createMember(want);
    if (epoch !== this.epoch) return;
    const previous = this.members.get(want.taskId);
    if (previous) this.orphans.add(previous.path);
    this.members.set(want.taskId, { taskId: want.taskId, path, json: want.json });
    this.log(`announce: ${previous ? 'replaced' : 'joined'} ${path} for task ${want.taskId}`);
  }

  private async createMember(want: Wanted): Promise<string> {
    await this.ensureDir(want.dir);
    try {
      return await this.createNode(want);
    } catch (error) {
      // Someone removed the directory since we created it: make it again, once.
      if (!hasCode(error, ZK_CODES.NO_NODE)) throw error;
      this.ensured.delete(want.dir);
      await this.ensureDir(want.dir);
      return this.createNode(want);
    }
  }

  private async createNode(want: Wanted): Promise<string> {
    try {
      return await this.session.create(
        `${want.dir}/${MEMBER_PREFIX}`,
        Buffer.from(want.json, 'utf8'),
        'ephemeral-sequential',
      );
    } catch (error) {
      // The server may have created the node before the reply was lost: look for it next sync.
      if (hasCode(error, ZK_CODES.CONNECTION_LOSS)) this.suspect.add(want.dir);
      throw error;
    }
  }

  private async ensureDir(dir: string): Promise<void> {
    if (this.ensured.has(dir)) return;
    await this.session.mkdirp(dir);
    this.ensured.add(dir);
  }

  private async removeOrphans(): Promise<PromiseSettledResult<void>[]> {
    return settle([...this.orphans].map((path) => this.removeNode(path)));
  }

  private async removeNode(path: string): Promise<void> {
    const epoch = this.epoch;
    try {
      await this.session.remove(path);
    } catch (error) {
      if (!hasCode(error, ZK_CODES.NO_NODE)) throw error;
    }
    if (epoch !== this.epoch) return;
    this.orphans.delete(path);
    this.log(`announce: left ${path}`);
  }

  /**
   * Matches nodes of our own session that this object does not know (another announcer on
   * the same session before us, or a create whose reply was lost) to the tasks that want
   * exactly their data; the rest become orphans. Also drops known members whose node
   * vanished, so they are re-created.
   */
  private async adoptOwnNodes(jobs: readonly JobSpec[], wanted: Map<string, Wanted>): Promise<void> {
    const dirs = this.rebuildAll ? this.allDirs(jobs, wanted) : new Set(this.suspect);
    if (dirs.size === 0) return;
    const epoch = this.epoch;
    const listings = await Promise.all([...dirs].map((dir) => this.ownNodes(dir)));
    if (epoch !== this.epoch) return;
    for (const [index, dir] of [...dirs].entries())
      this.reconcileDir(dir, listings[index] ?? new Map<string, string>(), wanted);
    this.rebuildAll = false;
    for (const dir of dirs) this.suspect.delete(dir);
  }

  /** Every directory that may hold our nodes: all jobs (an `announce` may just have been removed) and known members. */
  private allDirs(jobs: readonly JobSpec[], wanted: Map<string, Wanted>): Set<string> {
    const dirs = new Set(jobs.map((job) => this.pathOf(job.key)));
    for (const want of wanted.values()) dirs.add(want.dir);
    for (const member of this.members.values()) dirs.add(parentOf(member.path));
    return dirs;
  }

  /** Member path → data of the `member_` nodes in `dir` owned by the current session. */
  private async ownNodes(dir: string): Promise<Map<string, string>> {
    const names = ((await this.session.children(dir)) ?? []).filter((name) => name.startsWith(MEMBER_PREFIX));
    const nodes = await Promise.all(names.map((name) => this.session.get(`${dir}/${name}`)));
    const own = new Map<string, string>();
    for (const [index, node] of nodes.entries()) {
      if (node && node.stat.ephemeralOwner.toString('hex') === this.session.id) {
        own.set(`${dir}/${names[index] ?? ''}`, node.data.toString('utf8'));
      }
    }
    return own;
  }

  private reconcileDir(dir: string, own: Map<string, string>, wanted: Map<string, Wanted>): void {
    for (const member of [...this.members.values()]) {
      if (parentOf(member.path) === dir && !own.has(member.path)) this.members.delete(member.taskId);
    }
    const known = new Set([...[...this.members.values()].map((member) => member.path), ...this.orphans]);
    for (const [path, json] of own) {
      if (known.has(path)) continue;
      const taker = [...wanted.values()].find(
        (want) => want.dir === dir && want.json === json && !this.members.has(want.taskId),
      );
      if (taker) {
        this.members.set(taker.taskId, { taskId: taker.taskId, path, json });
        this.log(`announce: adopted ${path} for task ${taker.taskId}`);
      } else this.orphans.add(path);
    }
  }
}

function normaliseRoot(root: string): string {
  if (!root.startsWith('/'))
    throw new Error(`announce: the ServerSet root must be an absolute path (got "${root}")`);
  return root.replace(/\/+$/, '');
}

function parentOf(path: string): string {
  return path.slice(0, path.lastIndexOf('/'));
}

function settle(work: Promise<void>[]): Promise<PromiseSettledResult<void>[]> {
  return Promise.allSettled(work);
}

/** Every operation ran; report all failures at once so one bad node does not hide the rest. */
function throwIfFailed(results: PromiseSettledResult<void>[]): void {
  const errors = results.flatMap((result) =>
    result.status === 'rejected' ? [result.reason as unknown] : [],
  );
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1)
    throw new AggregateError(errors, `announce: ${errors.length} ZooKeeper operations failed`);
}
