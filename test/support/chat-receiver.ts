/**
 * A real HTTP server on 127.0.0.1 standing in for Slack, Mattermost, Teams or a webhook
 * receiver: it records every request with its own arrival time and answers as the test
 * scripts it, one answer per request in order, then the default answer.
 */
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import { listen } from './http-peers.js';
import { withTimeout } from './waiting.js';

export interface ScriptedAnswer {
  /** Default 200. */
  status?: number;
  headers?: Record<string, string>;
  /** Default `ok`, as Slack answers. */
  body?: string;
  /** Never answer: the request stays open until the client gives up or the receiver closes. */
  hang?: boolean;
  /** Answer only once this settles, to hold a request in flight while a test does something. */
  until?: Promise<unknown>;
}

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** The raw body, exactly as it arrived. */
  body: string;
  /** The body parsed, or undefined when it is not JSON. */
  json: unknown;
  /** Epoch ms with sub-ms precision, taken when the request's headers arrived. */
  at: number;
}

interface Waiter {
  count: number;
  resolve: () => void;
}

export class ChatReceiver {
  readonly requests: ReceivedRequest[] = [];
  private readonly script: ScriptedAnswer[];
  private readonly waiters = new Set<Waiter>();
  private readonly held = new Set<ServerResponse>();

  private readonly server: Server;
  private base = '';

  private constructor(
    script: ScriptedAnswer[],
    private readonly otherwise: ScriptedAnswer,
  ) {
    this.script = [...script];
    this.server = createServer((request, response) => {
      const at = performance.timeOrigin + performance.now();
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const { method = '', url: path = '', headers } = request;
        this.receive({ method, path, headers, body, json: parsed(body), at }, response);
      });
    });
  }

  /** Listening on 127.0.0.1; `script` answers the first requests, `otherwise` the rest (default 200 `ok`). */
  static async start(script: ScriptedAnswer[] = [], otherwise: ScriptedAnswer = {}): Promise<ChatReceiver> {
    const receiver = new ChatReceiver(script, otherwise);
    receiver.base = await listen(receiver.server);
    return receiver;
  }

  /** The URL to configure a sink with. */
  get url(): string {
    return `${this.base}/hook`;
  }

  /** Scripts the answers to the next requests, after any already scripted. */
  answer(...answers: ScriptedAnswer[]): void {
    this.script.push(...answers);
  }

  /** Resolves with the requests once `count` have arrived (past ones included). */
  async waitFor(count: number, ms = 5000): Promise<ReceivedRequest[]> {
    if (this.requests.length < count) {
      let waiter: Waiter | undefined;
      const arrived = new Promise<void>((resolve) => {
        waiter = { count, resolve };
        this.waiters.add(waiter);
      });
      await withTimeout(arrived, ms, () => `${count} requests (got ${this.requests.length})`).finally(() =>
        this.waiters.delete(waiter!),
      );
    }
    return this.requests.slice(0, count);
  }

  /** The parsed bodies, in arrival order. */
  bodies(): unknown[] {
    return this.requests.map((request) => request.json);
  }

  async close(): Promise<void> {
    for (const response of this.held) response.destroy();
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private receive(request: ReceivedRequest, response: ServerResponse): void {
    this.requests.push(request);
    const answer = this.script.shift() ?? this.otherwise;
    for (const waiter of [...this.waiters]) {
      if (this.requests.length >= waiter.count) {
        this.waiters.delete(waiter);
        waiter.resolve();
      }
    }
    if (answer.hang === true) {
      this.held.add(response);
      return;
    }
    const send = (): void => {
      response.writeHead(answer.status ?? 200, { 'content-type': 'text/plain', ...answer.headers });
      response.end(answer.body ?? 'ok');
    };
    if (answer.until === undefined) return send();
    this.held.add(response);
    const release = (): void => {
      this.held.delete(response);
      if (!response.destroyed) send();
    };
    void answer.until.then(release, release);
  }
}

function parsed(body: string): unknown {
  try {
    return JSON.parse(body) as unknown;
  } catch {
    return undefined;
  }
}
