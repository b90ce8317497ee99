/**
 * Borealis's subtree in ZooKeeper, under the chroot of its `zk://host:port/chroot` URL:
 * the leader election and the state records. Every reconciler and every command finds
 * the others through these paths, so they are written here and nowhere else.
 */

/** The election's parent znode: one ephemeral sequential node per reconciler, the lowest leads. */
export function leaderPath(chroot: string): string {
  return `${withoutTrailingSlash(chroot)}/leader`;
}

/** The state store's root znode: job and deployment records. */
export function statePath(chroot: string): string {
  return `${withoutTrailingSlash(chroot)}/state`;
}

function withoutTrailingSlash(chroot: string): string {
  return chroot.replace(/\/+$/, '');
}
