/**
 * A recording fake of the daemon (the server's only dependency is this interface) and a
 * real server listening on 127.0.0.1 with an ephemeral port.
 */
import { startServer, type RunningServer, type ServerOptions } from '../../src/server/app.js';
import type { PushHint, ServerDeps, WebhookSecrets } from '../../src/server/types.js';
import { HISTORY_DOCUMENT_VERSION, type DeploymentDocument } from '../../src/state/deployment-wire.js';

export interface Recorder {
  deps: ServerDeps;
  pushes: PushHint[];
  deploymentLimits: number[];
  logs: string[];
  /** Each refusal the server reported (onRefusal), by reason. */
  refusals: string[];
  /** What health() answers; tests flip it. */
  healthy: boolean;
  reset(): void;
}

export function recorder(secrets: WebhookSecrets, overrides: Partial<ServerDeps> = {}): Recorder {
  const rec: Recorder = {
    pushes: [],
    deploymentLimits: [],
    logs: [],
    refusals: [],
    healthy: true,
    reset() {
      rec.pushes.length = 0;
      rec.deploymentLimits.length = 0;
      rec.logs.length = 0;
      rec.refusals.length = 0;
    },
    deps: {
      secrets,
      onPush: (hint) => void rec.pushes.push(hint),
      status: () => Promise.resolve({ commit: 'abc123', jobs: 2 }),
      deployments: (limit) => {
        rec.deploymentLimits.push(limit);
        // Only their number matters to the route: a stand-in per deployment.
        const deployments = Array.from({ length: limit }, (_, i) => ({ sequence: i }) as DeploymentDocument);
        return Promise.resolve({ format_version: HISTORY_DOCUMENT_VERSION, deployments });
      },
      health: () => Promise.resolve({ ok: rec.healthy, leader: true }),
      onRefusal: (reason) => void rec.refusals.push(reason),
      ...overrides,
    },
  };
  return rec;
}

export function listen(rec: Recorder, options: Partial<ServerOptions> = {}): Promise<RunningServer> {
  return startServer(rec.deps, '127.0.0.1:0', { log: (line) => void rec.logs.push(line), ...options });
}

export interface Answer {
  status: number;
  body: Record<string, unknown>;
  headers: Headers;
}

export async function post(
  url: string,
  body: string | Buffer,
  headers: Record<string, string>,
): Promise<Answer> {
  const response = await fetch(url, { method: 'POST', headers, body });
  return {
    status: response.status,
    body: (await response.json()) as Record<string, unknown>,
    headers: response.headers,
  };
}

export async function get(url: string): Promise<Answer> {
  const response = await fetch(url);
  return {
    status: response.status,
    body: (await response.json()) as Record<string, unknown>,
    headers: response.headers,
  };
}

export function errorOf(answer: Answer): string {
  const error = answer.body.error;
  if (typeof error !== 'string')
    throw new Error(`expected an { error } body, got ${JSON.stringify(answer.body)}`);
  return error;
}
