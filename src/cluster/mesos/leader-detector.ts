/**
 * The leading Mesos master from ZooKeeper, as Mesos's own detector finds it: every master
 * holds an ephemeral sequential `json.info_<seq>` node under the Mesos path (default
 * `/mesos`) whose data is a JSON MasterInfo; the lowest sequence leads. (The `info_`
 * nodes hold binary protobuf and are deprecated.)
 */
import { BorealisError } from '../../errors.js';
import { ZkSession } from '../../zookeeper/session.js';
import { parseZkUrl } from '../../zookeeper/url.js';

interface MasterInfo {
  hostname?: string;
  port?: number;
  address?: { hostname?: string; ip?: string; port?: number };
}

const LABEL = 'json.info_';

/** `http://host:port` of the leader named in `data`: the address's ip, else its hostname. */
export function masterUrl(info: MasterInfo): string {
  const host = info.address?.ip ?? info.address?.hostname ?? info.hostname;
  const port = info.address?.port ?? info.port;
  if (!host || !port)
    throw new BorealisError(
      'MESOS_BAD_MASTER_INFO',
      `MasterInfo without an address: ${JSON.stringify(info)}`,
    );
  return `http://${host}:${port}`;
}

/** The members' node names, leader first. */
export function leaderOrder(children: readonly string[]): string[] {
  return children
    .filter((name) => name.startsWith(LABEL))
    .sort((a, b) => Number(a.slice(LABEL.length)) - Number(b.slice(LABEL.length)));
}

/** Reads `zk://host:port[,host:port]/mesos` once and returns the leading master's URL. */
export async function detectLeader(zkUrl: string, options: { timeoutMs?: number } = {}): Promise<string> {
  const { connect, chroot } = parseZkUrl(zkUrl, '/mesos');
  const session = await ZkSession.open({ connect, connectTimeoutMs: options.timeoutMs ?? 10_000 });
  try {
    for (const name of leaderOrder((await session.children(chroot)) ?? [])) {
      // The leader may have just gone: its node vanishes, and the next one leads.
      const node = await session.get(`${chroot}/${name}`);
      if (node) return masterUrl(JSON.parse(node.data.toString('utf8')) as MasterInfo);
    }
    throw new BorealisError('MESOS_NO_LEADER', `no Mesos master is registered under ${zkUrl}`);
  } finally {
    session.close();
  }
}
