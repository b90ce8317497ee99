/**
 * The records a command reads and writes, from `--state`: a state directory, or ZooKeeper
 * (opened without joining the election: reading commands never lead).
 */
import { BorealisError } from '../../errors.js';
import { join } from 'node:path';
import { DelegatingStore } from '../../state/delegating-store.js';
import { FileStateStore } from '../../state/file/file-store.js';
import { Records } from '../../state/records.js';
import { RecordsSnapshot } from '../../state/records-snapshot.js';
import type { StateStore } from '../../state/types.js';
import { ZooKeeperStateStore } from '../../state/zookeeper/zookeeper-store.js';
import { statePath } from '../../zookeeper/layout.js';
import { ZkSession } from '../../zookeeper/session.js';
import { isZkUrl, parseZkUrl } from '../../zookeeper/url.js';
import type { GlobalOptions } from '../global-options.js';
import { systemCode } from '../operator-error.js';
import { asideDir, recordsSnapshotFile } from './local-dir.js';
import { zkAuth, zkSessionTimeoutMs } from './zookeeper.js';

type StateOptions = Pick<GlobalOptions, 'state' | 'home'>;

/** Records for reading (and, with file state, writing): ZooKeeper state is opened without leadership. */
export async function openRecords(options: StateOptions): Promise<Records> {
  return recordsIn(
    options,
    isZkUrl(options.state) ? await openZkStore(options.state) : await openFileStore(options.state),
  );
}

/** Records kept in `store`, with this machine's snapshot of them and its directory for unreadable ones. */
export function recordsIn(options: StateOptions, store: StateStore): Records {
  return new Records(store, new RecordsSnapshot(recordsSnapshotFile(options)), asideDir(options));
}

async function openZkStore(state: string): Promise<StateStore> {
  const { connect, chroot } = parseZkUrl(state);
  const session = await ZkSession.open({ connect, auth: zkAuth(), sessionTimeoutMs: zkSessionTimeoutMs() });
  const store = await ZooKeeperStateStore.open({ session, chroot: statePath(chroot) });
  return new DelegatingStore(
    () => store,
    async () => {
      await store.close();
      session.close();
    },
  );
}

async function openFileStore(stateDir: string): Promise<FileStateStore> {
  try {
    return await FileStateStore.open(join(stateDir, 'store'));
  } catch (error) {
    if (!systemCode(error)) throw error;
    throw new BorealisError(
      'STATE_UNUSABLE',
      `cannot use ${stateDir} as the state directory: ${(error as Error).message}`,
      {
        cause: error,
        hint: 'pass --state with a directory this user can create and write, or a zk:// URL',
      },
    );
  }
}
