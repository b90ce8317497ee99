/**
 * Everything a reconciler holds in ZooKeeper, kept alive across session expiries: the
 * session, the election, and the state store fenced by the election node. When a session
 * expires, leadership is dropped at that instant (the election emits `lost`), then a new
 * session is opened with back-off and the reconciler rejoins as a follower; the store and
 * the leadership view it hands out stay the same objects, so callers never hold a dead
 * session.
 */
import { EventEmitter } from 'node:events';
import { hostname } from 'node:os';
import type { Leadership } from '../leadership.js';
import { ZooKeeperStateStore } from '../state/zookeeper/zookeeper-store.js';
import { DelegatingStore } from '../state/delegating-store.js';
import type { StateStore } from '../state/types.js';
import { LeaderElection, type CandidateInfo } from './election.js';
import { leaderPath, statePath } from './layout.js';
import { ZkSession, type ZkSessionOptions } from './session.js';

export interface CoordinatorOptions extends ZkSessionOptions {
  /** Borealis's own subtree, e.g. `/borealis/local`. */
  chroot: string;
  listen?: string;
  log?: (line: string) => void;
}

export class Coordinator extends EventEmitter implements Leadership {
  private session!: ZkSession;
  private election!: LeaderElection;
  private inner!: ZooKeeperStateStore;
  private closed = false;
  /** The state store for this reconciler; always the current session's, fenced by leadership. */
  readonly store: StateStore;

  private constructor(private options: CoordinatorOptions) {
    super();
    // The session belongs to the coordinator: closing this view of it closes nothing.
    this.store = new DelegatingStore(() => this.inner);
  }

  /** Where this reconciler serves HTTP, with the port it was bound to; kept across session renewals. */
  async advertise(listen: string): Promise<void> {
    this.options = { ...this.options, listen };
    await this.election.advertise(listen);
  }

  static async start(options: CoordinatorOptions): Promise<Coordinator> {
    const coordinator = new Coordinator(options);
    await coordinator.connect();
    return coordinator;
  }

  isLeader(): boolean {
    return !this.closed && this.election.isLeader();
  }

  /** Round-trip proof of leadership, for fencing cluster actions. */
  confirm(): Promise<boolean> {
    return this.closed ? Promise.resolve(false) : this.election.confirm();
  }

  onChange(listener: (leading: boolean) => void): () => void {
    this.on('leadership', listener);
    return () => this.off('leadership', listener);
  }

  /** Who leads, as that candidate described itself (host, pid, HTTP address). */
  leader(): Promise<(CandidateInfo & { node: string }) | null> {
    return this.election.leader();
  }

  /** The current session (it changes after an expiry; listen for `session`). */
  get currentSession(): ZkSession {
    return this.session;
  }

  get sessionId(): string {
    return this.session.id;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.election.leave();
    this.session.close();
  }

  private async connect(): Promise<void> {
    const session = await ZkSession.open(this.options);
    const { chroot } = this.options;
    const election = new LeaderElection(session, leaderPath(chroot), {
      host: hostname(),
      pid: process.pid,
      started_at: new Date().toISOString(),
      ...(this.options.listen ? { listen: this.options.listen } : {}),
    });
    election.on('elected', () => this.emit('leadership', true));
    election.on('lost', (reason: string) => {
      this.options.log?.(`leadership lost: ${reason}`);
      this.emit('leadership', false);
    });
    session.on('disconnected', () => this.emit('leadership', false));
    session.on(
      'connected',
      () => this.election === election && election.isLeader() && this.emit('leadership', true),
    );
    session.once('expired', () => void this.renew());
    // A follower's writes must fail too: its fence names a node that never exists.
    const fence = () => election.fenceNode() ?? `${leaderPath(chroot)}/not-the-leader`;
    this.inner = await ZooKeeperStateStore.open({ session, chroot: statePath(chroot), fence });
    this.session = session;
    this.election = election;
    await election.join();
    this.emit('session', session);
  }

  /** After an expiry: a new session, a new election node, as a follower until elected again. */
  private async renew(): Promise<void> {
    this.options.log?.('ZooKeeper session expired: reconnecting as a follower');
    for (let attempt = 0; !this.closed; attempt++) {
      try {
        this.session.close();
        await this.connect();
        return;
      } catch (error) {
        this.options.log?.(
          `ZooKeeper reconnect failed: ${error instanceof Error ? error.message : String(error)}`,
        );
        await new Promise((resolve) => setTimeout(resolve, Math.min(1000 * 2 ** attempt, 30_000)));
      }
    }
  }
}
