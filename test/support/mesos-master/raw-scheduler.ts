/**
 * A scheduler made by hand (fetch + RecordIO), for tests that drive the test master with
 * exactly the FrameworkInfo and TaskInfo JSON they choose, independently of Borealis's
 * scheduler client. Events are awaited, not polled; updates that carry a uuid are
 * acknowledged as they arrive unless `autoAck` is turned off.
 */
import { parseMesosJson, stringifyMesosJson } from '../../../src/cluster/mesos/json.js';
import { records } from '../../../src/cluster/mesos/recordio.js';
import { withTimeout } from '../waiting.js';
import type { MesosMaster } from './master.js';

export type Json = Record<string, unknown>;

interface Waiter {
  matches: (event: Json) => boolean;
  resolve: (event: Json) => void;
}

const at = (v: unknown, ...path: string[]): unknown =>
  path.reduce<unknown>((acc, key) => (acc as Record<string, unknown> | undefined)?.[key], v);

export class RawScheduler {
  readonly events: Json[] = [];
  frameworkId = '';
  autoAck = true;
  private streamId = '';
  private readonly taken = new Set<Json>();
  private readonly waiters = new Set<Waiter>();
  private readonly abort = new AbortController();

  private constructor(private readonly master: MesosMaster) {}

  /**
   * Subscribes with `frameworkInfo` and resolves once SUBSCRIBED has arrived. With an `id`
   * in it, a re-subscription: the call then names the framework id at the top level too.
   */
  static async subscribe(master: MesosMaster, frameworkInfo: Json): Promise<RawScheduler> {
    const scheduler = new RawScheduler(master);
    const resubscribe = frameworkInfo.id === undefined ? {} : { framework_id: frameworkInfo.id };
    const call = { ...resubscribe, type: 'SUBSCRIBE', subscribe: { framework_info: frameworkInfo } };
    const response = await scheduler.post(call, {}, scheduler.abort.signal);
    if (response.status !== 200)
      throw new Error(`SUBSCRIBE answered ${response.status}: ${await response.text()}`);
    scheduler.streamId = response.headers.get('mesos-stream-id') ?? '';
    void scheduler.pump(response);
    const subscribed = await scheduler.next((e) => e.type === 'SUBSCRIBED');
    scheduler.frameworkId = String(at(subscribed, 'subscribed', 'framework_id', 'value'));
    return scheduler;
  }

  /** The first event not taken before that matches, past or future. */
  next(matches: (event: Json) => boolean, ms = 5000): Promise<Json> {
    const past = this.events.find((e) => !this.taken.has(e) && matches(e));
    if (past !== undefined) return Promise.resolve(this.take(past));
    let waiter: Waiter | undefined;
    const arrival = new Promise<Json>((resolve) => {
      waiter = { matches, resolve };
      this.waiters.add(waiter);
    });
    const seen = () => `a matching event (seen: ${this.events.map((e) => String(e.type)).join(' ')})`;
    return withTimeout(arrival, ms, seen).finally(() => this.waiters.delete(waiter!));
  }

  /** The UPDATE of `taskId` reaching `state`. */
  update(taskId: string, state: string): Promise<Json> {
    return this.next(
      (e) =>
        at(e, 'update', 'status', 'task_id', 'value') === taskId &&
        at(e, 'update', 'status', 'state') === state,
    );
  }

  /** Offers of the next OFFERS event. */
  async offers(): Promise<Json[]> {
    return at(await this.next((e) => e.type === 'OFFERS'), 'offers', 'offers') as Json[];
  }

  /** A call on this subscription; throws unless the master accepts it (202). */
  async call(type: string, payload: Json = {}): Promise<void> {
    const body = { framework_id: { value: this.frameworkId }, type, ...payload };
    const response = await this.post(body, { 'Mesos-Stream-Id': this.streamId });
    const text = await response.text();
    if (response.status !== 202) throw new Error(`${type} answered ${response.status}: ${text}`);
  }

  /** ACCEPT of one offer with one LAUNCH of `taskInfos`. */
  launch(offer: Json, taskInfos: Json[]): Promise<void> {
    const operations = [{ type: 'LAUNCH', launch: { task_infos: taskInfos } }];
    return this.call('ACCEPT', { accept: { offer_ids: [offer.id], operations } });
  }

  close(): void {
    this.autoAck = false;
    this.abort.abort();
  }

  private post(body: Json, headers: Record<string, string>, signal?: AbortSignal): Promise<Response> {
    return fetch(this.master.schedulerUrl, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...headers },
      body: stringifyMesosJson(body),
      ...(signal === undefined ? {} : { signal }),
    });
  }

  private async pump(response: Response): Promise<void> {
    try {
      for await (const record of records(response.body as unknown as AsyncIterable<Uint8Array>)) {
        this.onEvent(parseMesosJson(Buffer.from(record).toString('utf8')) as Json);
      }
    } catch {
      // closed by the test or by the master
    }
  }

  private onEvent(event: Json): void {
    this.events.push(event);
    const status = at(event, 'update', 'status');
    if (event.type === 'UPDATE' && this.autoAck && at(status, 'uuid') !== undefined) {
      const acknowledge = {
        agent_id: at(status, 'agent_id'),
        task_id: at(status, 'task_id'),
        uuid: at(status, 'uuid'),
      };
      this.call('ACKNOWLEDGE', { acknowledge }).catch(() => undefined); // the test may be over
    }
    for (const waiter of this.waiters) {
      if (waiter.matches(event)) {
        this.waiters.delete(waiter);
        waiter.resolve(this.take(event));
        return;
      }
    }
  }

  private take(event: Json): Json {
    this.taken.add(event);
    return event;
  }
}
