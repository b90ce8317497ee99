/**
 * Scheduler events in the exact JSON shapes of test/fixtures/mesos/corrected
 * (scheduler.proto `Event`), framed as RecordIO the way the master writes its stream.
 */
import { randomBytes } from 'node:crypto';
import { encodeRecord } from '../../../src/cluster/mesos/recordio.js';
import { stringifyMesosJson } from '../../../src/cluster/mesos/json.js';

export type Json = Record<string, unknown>;

export interface MasterInfo {
  id: string;
  hostname: string;
  ip: string;
  port: number;
  version: string;
}

/** Mesos writes non-finite doubles bare (`kWriteNanAndInfFlag`). */
export function frame(event: Json): Uint8Array {
  return encodeRecord(stringifyMesosJson(event, { nonFinite: 'bare' }));
}

/** `MasterInfo.ip`: the IPv4 address in network byte order, read as a little-endian uint32. */
function packedIp(ip: string): number {
  const [a = 0, b = 0, c = 0, d = 0] = ip.split('.').map(Number);
  return ((d << 24) >>> 0) + (c << 16) + (b << 8) + a;
}

/** A `MasterInfo` as SUBSCRIBED and GET_MASTER carry it and as masters publish it in ZooKeeper (`json.info_`). */
export function masterInfoJson(m: MasterInfo): Json {
  return {
    address: { hostname: m.hostname, ip: m.ip, port: m.port },
    hostname: m.hostname,
    id: m.id,
    ip: packedIp(m.ip),
    pid: `master@${m.ip}:${m.port}`,
    port: m.port,
    version: m.version,
  };
}

export function subscribed(frameworkId: string, heartbeatSeconds: number, m: MasterInfo): Json {
  return {
    type: 'SUBSCRIBED',
    subscribed: {
      framework_id: { value: frameworkId },
      heartbeat_interval_seconds: heartbeatSeconds,
      master_info: masterInfoJson(m),
    },
  };
}

export const heartbeat = (): Json => ({ type: 'HEARTBEAT' });

export const error = (message: string): Json => ({ type: 'ERROR', error: { message } });

export const offers = (list: Json[]): Json => ({ type: 'OFFERS', offers: { offers: list } });

export const rescind = (offerId: string): Json => ({
  type: 'RESCIND',
  rescind: { offer_id: { value: offerId } },
});

export type TaskSource = 'SOURCE_MASTER' | 'SOURCE_AGENT' | 'SOURCE_EXECUTOR';

export interface StatusFields {
  taskId: string;
  state: string;
  source: TaskSource;
  agentId?: string;
  executorId?: string;
  reason?: string;
  message?: string;
  /** Set by a health check's verdict (the command executor sends TASK_RUNNING with it). */
  healthy?: boolean;
  /** Base64 of 16 bytes; absent on master-generated updates (they need no ACKNOWLEDGE). */
  uuid?: string;
  /**
   * Seconds since the epoch when the update was generated. A retried update keeps it, as
   * the agent's status update manager resends the same TaskStatus.
   */
  timestamp: number;
}

/** A `TaskStatus`, keys in the corrected UPDATE fixture's order. */
export function taskStatus(s: StatusFields): Json {
  const status: Json = { task_id: { value: s.taskId }, state: s.state, source: s.source };
  if (s.reason !== undefined) status.reason = s.reason;
  if (s.message !== undefined) status.message = s.message;
  if (s.uuid !== undefined) status.uuid = s.uuid;
  if (s.agentId !== undefined) status.agent_id = { value: s.agentId };
  if (s.executorId !== undefined) status.executor_id = { value: s.executorId };
  status.timestamp = s.timestamp;
  if (s.healthy !== undefined) status.healthy = s.healthy;
  return status;
}

export const update = (status: Json): Json => ({ type: 'UPDATE', update: { status } });

export const newStatusUuid = (): string => randomBytes(16).toString('base64');

/** Now as `TimeInfo.nanoseconds`: beyond 2^53, and not a whole millisecond, as real clocks give. */
export const epochNanos = (): bigint =>
  BigInt(Date.now()) * 1_000_000n + (process.hrtime.bigint() % 1_000_000n);
