/** `zk://host:port[,host:port]/chroot` → connect string and chroot, as Aurora and Mesos write them. */
import { BorealisError } from '../errors.js';

export interface ZkLocation {
  connect: string;
  chroot: string;
}

export function isZkUrl(text: string): boolean {
  return text.startsWith('zk://');
}

export function parseZkUrl(text: string, defaultChroot = '/borealis'): ZkLocation {
  const match = /^zk:\/\/([^/\s]+)(\/[^\s]*)?$/.exec(text);
  if (!match) {
    throw new BorealisError('BAD_ZK_URL', `${text} is not a ZooKeeper URL`, {
      hint: 'write zk://host:port[,host:port]/chroot',
    });
  }
  const chroot = (match[2] ?? defaultChroot).replace(/\/+$/, '') || defaultChroot;
  return { connect: match[1]!, chroot };
}
