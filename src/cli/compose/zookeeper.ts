/**
 * The ZooKeeper a command reaches through `--state zk://…`: credentials and the session
 * timeout come from the environment (never from flags, which `ps` shows), and who leads
 * the reconcilers is read from their election.
 */
import { currentLeader, type CandidateInfo } from '../../zookeeper/election.js';
import { leaderPath } from '../../zookeeper/layout.js';
import { ZkSession, type ZkAuth } from '../../zookeeper/session.js';
import { parseZkUrl } from '../../zookeeper/url.js';

/** Digest credentials for ZooKeeper come from the environment, never from flags. */
export function zkAuth(env: NodeJS.ProcessEnv = process.env): ZkAuth | undefined {
  const digest = env.BOREALIS_ZK_DIGEST;
  return digest ? { digest } : undefined;
}

/** A shorter session timeout hands leadership over faster (tests use about 2 s); ZooKeeper bounds it by its tickTime. */
export function zkSessionTimeoutMs(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const value = Number(env.BOREALIS_ZK_SESSION_TIMEOUT_MS);
  return Number.isFinite(value) && value > 0 ? value : undefined;
}

/** Who leads the reconcilers sharing the `zk://` state, as it described itself; null when none does. */
export async function electedLeader(
  state: string,
  options: { auth?: ZkAuth; connectTimeoutMs?: number } = {},
): Promise<CandidateInfo | null> {
  const { connect, chroot } = parseZkUrl(state);
  const session = await ZkSession.open({ connect, ...options });
  try {
    return await currentLeader(session, leaderPath(chroot));
  } finally {
    session.close();
  }
}
