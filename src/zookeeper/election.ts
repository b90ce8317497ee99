/**
 * Leader election with ZooKeeper's standard recipe: each candidate creates an ephemeral
 * sequential node under `<chroot>/leader`; the lowest sequence leads; every other
 * candidate watches only its predecessor (no herd effect when the leader goes). The node
 * is also the fencing token: a write or cluster action is allowed only while this node
 * still exists in this session.
 */
import { EventEmitter } from 'node:events';
import { hasCode, ZK_CODES, type ZkSession } from './session.js';

export interface CandidateInfo {
  host: string;
  pid: number;
  started_at: string;
  /** Where this candidate serves HTTP, so followers can point at the leader. */
  listen?: string;
}

const PREFIX = 'member_';
/** Tries of `advertise` whose connection was lost (each waits for the reconnect first). */
const ADVERTISE_ATTEMPTS = 3;

export class LeaderElection extends EventEmitter {
  private node: string | undefined;
  private leading = false;
  private closed = false;

  constructor(
    private readonly session: ZkSession,
    private readonly root: string,
    private info: CandidateInfo,
  ) {
    super();
    // Expiry deletes our node on the server: leadership is gone this instant.
    session.on('expired', () => this.lose('session expired'));
  }

  /** Joins the election; resolves once this candidate knows whether it leads. */
  async join(): Promise<void> {
    await this.session.mkdirp(this.root);
    this.node = await this.session.create(
      `${this.root}/${PREFIX}`,
      Buffer.from(JSON.stringify(this.info)),
      'ephemeral-sequential',
    );
    await this.check();
  }

  /**
   * Says where this candidate serves HTTP once that is known: a server bound to port 0 learns
   * its port only after the election was joined.
   */
  async advertise(listen: string): Promise<void> {
    this.info = { ...this.info, listen };
    const data = Buffer.from(JSON.stringify(this.info));
    // Writing the same description again is harmless, so a lost connection is retried. An
    // expired session's node is gone; the coordinator's next node carries `listen` already.
    for (let attempt = 1; this.node !== undefined; attempt++) {
      try {
        await this.session.set(this.node, data);
        return;
      } catch (error) {
        if (this.closed || this.session.state === 'expired' || this.session.state === 'closed') return;
        if (!hasCode(error, ZK_CODES.CONNECTION_LOSS) || attempt >= ADVERTISE_ATTEMPTS) throw error;
      }
    }
  }

  /** Leading and connected: a disconnected leader pauses until its session is confirmed again. */
  isLeader(): boolean {
    return this.leading && this.session.state === 'connected';
  }

  /** The fencing token: this candidate's node, while it leads. */
  fenceNode(): string | undefined {
    return this.leading ? this.node : undefined;
  }

  /** Proves leadership with a round trip: the node must still exist in this very session. */
  async confirm(): Promise<boolean> {
    if (!this.leading || !this.node || this.session.state !== 'connected') return false;
    const stat = await this.session.exists(this.node).catch(() => null);
    return stat !== null && stat.ephemeralOwner.toString('hex') === this.session.id;
  }

  /** Who leads now, as that candidate described itself. */
  async leader(): Promise<(CandidateInfo & { node: string }) | null> {
    const [first] = await this.candidates();
    if (!first) return null;
    const found = await this.session.get(`${this.root}/${first}`);
    return found
      ? { ...(JSON.parse(found.data.toString('utf8')) as CandidateInfo), node: `${this.root}/${first}` }
      : null;
  }

  async leave(): Promise<void> {
    this.closed = true;
    const node = this.node;
    this.lose('left the election');
    if (node) await this.session.remove(node).catch(() => undefined);
  }

  private async candidates(): Promise<string[]> {
    return membersInOrder((await this.session.children(this.root)) ?? []);
  }

  private async check(): Promise<void> {
    if (this.closed || !this.node) return;
    const mine = this.node.slice(this.root.length + 1);
    const ordered = await this.candidates();
    const index = ordered.indexOf(mine);
    if (index < 0) return this.lose('our election node is gone');
    if (index === 0) return this.win();
    const predecessor = `${this.root}/${ordered[index - 1]}`;
    const stat = await this.session.exists(predecessor, () => this.recheck());
    // The predecessor may have gone between listing and watching: look again.
    if (!stat) await this.check();
  }

  /**
   * The predecessor's watch fired: look again. A session that expired (or was closed) while
   * looking ends this election, not the process: the coordinator joins a new one in a new
   * session. A lost connection means looking again once it is back.
   */
  private recheck(): void {
    this.check().catch((error: unknown) => {
      if (this.closed || this.session.state === 'expired' || this.session.state === 'closed') return;
      if (!hasCode(error, ZK_CODES.CONNECTION_LOSS)) this.emit('error', error);
      else if (this.session.state === 'connected') this.recheck();
      else this.session.once('connected', () => this.recheck());
    });
  }

  private win(): void {
    if (this.leading) return;
    this.leading = true;
    this.emit('elected');
  }

  private lose(reason: string): void {
    if (!this.leading) return;
    this.leading = false;
    this.emit('lost', reason);
  }
}

/** Who leads the election under `root`, read by any session (followers and one-shot commands). */
export async function currentLeader(
  session: ZkSession,
  root: string,
): Promise<(CandidateInfo & { node: string }) | null> {
  const [first] = membersInOrder((await session.children(root)) ?? []);
  if (!first) return null;
  const found = await session.get(`${root}/${first}`);
  return found
    ? { ...(JSON.parse(found.data.toString('utf8')) as CandidateInfo), node: `${root}/${first}` }
    : null;
}

/** Election members, leader first. */
function membersInOrder(children: readonly string[]): string[] {
  return children.filter((name) => name.startsWith(PREFIX)).sort((a, b) => sequence(a) - sequence(b));
}

function sequence(name: string): number {
  return Number(name.slice(PREFIX.length));
}
