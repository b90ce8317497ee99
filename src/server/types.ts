/** What the HTTP server needs from the daemon, so the server knows nothing about Git or clusters. */
import type { PlanDocument } from '../plan/wire.js';
import type { HistoryListDocument } from '../state/deployment-wire.js';
import type { RefusalReason } from './overload.js';

export type WebhookProvider = 'github' | 'gitlab' | 'generic';

/** A verified push notification. Only a hint to look: the payload's commits are never trusted. */
export interface PushHint {
  provider: WebhookProvider;
  /** Delivery id from the provider, when it sends one. */
  delivery?: string;
  /** The pushed ref as the payload claims it, e.g. `refs/heads/main`; for logs only. */
  ref?: string;
}

export interface WebhookSecrets {
  /** GitHub: HMAC-SHA256 secret for X-Hub-Signature-256. */
  github?: string;
  /** GitLab: the token sent as X-Gitlab-Token. */
  gitlab?: string;
  /** Generic: HMAC-SHA256 secret for `X-Signature: sha256=<hex>`. */
  generic?: string;
}

/** The query of GET /api/plan: what the asker would plan itself. */
export interface PlanRequest {
  commit: string;
  cluster: string;
  /** The job root inside the repository ('' for the top). */
  path: string;
  prune: boolean;
  retryHeld: boolean;
}

/**
 * What asking for a cron run now gave: the run started (its id), or why none did: the last
 * run is still going under CANCEL_NEW, the job is paused, it is no cron job, or this
 * reconciler does not lead (the reason names the leader when known).
 */
export type CronStartAnswer =
  | { started: string }
  | { skipped: string }
  | { paused: string }
  | { unknown: string }
  | { notLeader: string };

export interface ServerDeps {
  secrets: WebhookSecrets;
  /** Called once per accepted push; must not throw and must return at once. */
  onPush(hint: PushHint): void;
  /** Body of GET /api/status. */
  status(): Promise<unknown>;
  /** Body of GET /api/deployments (newest first, at most `limit`), as `history -o json` prints it. */
  deployments(limit: number): Promise<HistoryListDocument>;
  /**
   * Body of GET /api/observed, as JSON text (it is large, and kept serialised between
   * changes): the leader's view of its cluster's tasks; undefined when this reconciler does
   * not lead (the route answers 409). Absent: the route answers 404.
   */
  observed?(): Promise<string | undefined>;
  /**
   * GET /api/plan: what applying a commit would change, as the leader plans it. A plan, or
   * why this reconciler will not plan that commit here (the route answers 409). Absent: 404.
   */
  plan?(request: PlanRequest): Promise<{ plan: PlanDocument } | { refused: string }>;
  /** GET /healthz: 200 when `ok`, 503 otherwise; the object is the body. */
  health(): Promise<{ ok: boolean } & Record<string, unknown>>;
  /**
   * POST /api/sync: apply the branch head now (for `watch --auto-apply=false`). Returns
   * whether this reconciler will (only the leader applies). Absent: the route answers 404.
   */
  sync?(): { accepted: boolean; reason?: string };
  /**
   * POST /api/cron/start: start a run of a cron job now, under its collision policy (the
   * cron scheduler's, leader only). Absent: the route answers 503, no scheduler runs here.
   */
  startCronRun?(jobId: string): Promise<CronStartAnswer>;
  /** The bearer token POST /api/sync and POST /api/cron/start require; without one, both are refused (403). */
  apiToken?: string;
  /** Called once per webhook request answered, with its provider and status (for metrics). */
  onWebhook?(provider: WebhookProvider, status: number): void;
  /** Called once per request or connection refused to protect the server (for metrics). */
  onRefusal?(reason: RefusalReason): void;
  /** GET /metrics: the Prometheus text exposition and its content type. */
  metrics?(): Promise<{ contentType: string; body: string }>;
}
