/**
 * Several test masters of one Mesos cluster: they share the agents, tasks and frameworks,
 * one leads and the others answer 307 to it. With `zookeeper`, each master registers an
 * ephemeral sequential `json.info_` node holding its JSON MasterInfo, as Mesos masters do,
 * and the lowest sequence leads, so Borealis finds the leader the way it does on a real
 * cluster. `failover()` is a leading master failing: its streams break, its offers are gone,
 * it rejoins as a follower, and the frameworks must re-subscribe to the next leader.
 */
import { ZkSession } from '../../../src/zookeeper/session.js';
import { masterInfoJson } from './events.js';
import { MesosMaster, type MesosMasterOptions } from './master.js';

export interface EnsembleOptions extends MesosMasterOptions {
  /** Register the masters in this ZooKeeper, under `path` (default `/mesos`). */
  zookeeper?: { connect: string; path?: string };
}

interface Member {
  master: MesosMaster;
  /** The master's `json.info_` node and the session that holds it. */
  registration?: { session: ZkSession; node: string };
}

export class MesosEnsemble {
  private constructor(
    private readonly members: Member[],
    private readonly options: EnsembleOptions,
  ) {}

  static async start(count: number, options: EnsembleOptions = {}): Promise<MesosEnsemble> {
    const first = await MesosMaster.start(options);
    const members: Member[] = [{ master: first }];
    for (let i = 1; i < count; i++) members.push({ master: await MesosMaster.start(options, first) });
    const ensemble = new MesosEnsemble(members, options);
    for (const member of members) await ensemble.register(member);
    ensemble.electLowest();
    return ensemble;
  }

  get masters(): MesosMaster[] {
    return this.members.map((member) => member.master);
  }

  get leader(): MesosMaster {
    return this.masters.find((master) => master.isLeading)!;
  }

  get urls(): string[] {
    return this.masters.map((master) => master.url);
  }

  /** `zk://host:port/mesos`, when the masters are registered in ZooKeeper. */
  get zkUrl(): string | undefined {
    const zk = this.options.zookeeper;
    return zk ? `zk://${zk.connect}${zk.path ?? '/mesos'}` : undefined;
  }

  /** Fault: the leader fails and rejoins as a follower; the next master leads. Returns the new leader. */
  async failover(): Promise<MesosMaster> {
    const failed = this.members.find((member) => member.master.isLeading)!;
    const next = this.members.find((member) => member !== failed)!;
    if (!next) throw new Error('a failover needs a second master');
    failed.master.follow(next.master);
    failed.registration?.session.close(); // its json.info_ node vanishes with the session
    failed.registration = undefined;
    // Rejoining, it takes a higher sequence than every live member: it follows.
    this.members.push(...this.members.splice(this.members.indexOf(failed), 1));
    await this.register(failed);
    this.electLowest();
    return this.leader;
  }

  /** Closes every master; fails, as a single master does, if any request had a field Mesos would drop. */
  async close(): Promise<void> {
    for (const member of this.members) {
      member.registration?.session.close();
      await member.master.close({ check: false });
    }
    this.masters[0]?.checkViolations(); // the masters share one list
  }

  private async register(member: Member): Promise<void> {
    const zk = this.options.zookeeper;
    if (!zk) return;
    const path = zk.path ?? '/mesos';
    // As long a session as the server grants (it caps the ask at 20 ticks): the masters live
    // in the test's process, which a busy machine can starve of its pings for seconds, and
    // an expired session would take the master's registration with it.
    const session = await ZkSession.open({ connect: zk.connect, sessionTimeoutMs: 60_000 });
    await session.mkdirp(path);
    const data = Buffer.from(JSON.stringify(masterInfoJson(member.master.masterInfo)));
    const node = await session.create(`${path}/json.info_`, data, 'ephemeral-sequential');
    member.registration = { session, node };
  }

  /** The members are kept in registration order, so the first leads, as the lowest sequence does. */
  private electLowest(): void {
    const [leader, ...followers] = this.masters;
    leader!.follow(undefined);
    for (const follower of followers) follower.follow(leader);
  }
}
