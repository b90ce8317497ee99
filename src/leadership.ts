/**
 * Who may act. With several reconcilers only the elected leader changes the cluster; a
 * single reconciler always leads. The daemon, the ZooKeeper coordinator and backends that
 * only a leader may hold (a Mesos framework's subscription) all speak this interface.
 */
export interface Leadership {
  isLeader(): boolean;
  /** Calls back whenever leadership is gained or lost; returns the unsubscribe function. */
  onChange(listener: (leading: boolean) => void): () => void;
}
