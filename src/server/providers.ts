/**
 * What differs between webhook senders, as data: headers, how the credential is checked,
 * which events mean "a push happened". The request pipeline (`routes/webhooks.ts`) is the
 * same for all of them.
 */
import { verifyGenericSignature } from './signatures/generic.js';
import { verifyGithubSignature } from './signatures/github.js';
import { verifyGitlabToken } from './signatures/gitlab.js';
import type { WebhookProvider, WebhookSecrets } from './types.js';

/** What a verified delivery asks of the daemon. */
export type EventAction = 'push' | 'ping' | 'ignore';

export interface ProviderSpec {
  readonly name: WebhookProvider;
  /** The variable that configures the secret: named in the 404 so an operator knows what to set. */
  readonly secretEnv: string;
  readonly secret: (secrets: WebhookSecrets) => string | undefined;
  /** Header carrying the signature or token (header names as the sender spells them, for messages). */
  readonly credentialHeader: string;
  readonly credentialKind: 'signature' | 'token';
  readonly verify: (secret: string, rawBody: Buffer, credential: string) => Promise<boolean>;
  /**
   * The sender's unique id of a delivery; required (400 without it): the sender always
   * sends one, and without it a replay could not be told from a new delivery.
   */
  readonly deliveryHeader: string;
  /** Where the sender's documentation says the id comes from, for the 400's hint. */
  readonly deliveryHint: string;
  /** Undefined: the sender has no event types, every delivery is a push. */
  readonly eventHeader: string | undefined;
  readonly classify: (event: string) => EventAction;
}

const github: ProviderSpec = {
  name: 'github',
  secretEnv: 'BOREALIS_GITHUB_WEBHOOK_SECRET',
  secret: (s) => s.github,
  credentialHeader: 'X-Hub-Signature-256',
  credentialKind: 'signature',
  verify: verifyGithubSignature,
  deliveryHeader: 'X-GitHub-Delivery',
  deliveryHint: 'GitHub sends it with every delivery',
  eventHeader: 'X-GitHub-Event',
  classify: (event) => (event === 'push' ? 'push' : event === 'ping' ? 'ping' : 'ignore'),
};

const GITLAB_PUSH_EVENTS = new Set(['Push Hook', 'Tag Push Hook']);

const gitlab: ProviderSpec = {
  name: 'gitlab',
  secretEnv: 'BOREALIS_GITLAB_WEBHOOK_TOKEN',
  secret: (s) => s.gitlab,
  credentialHeader: 'X-Gitlab-Token',
  credentialKind: 'token',
  verify: verifyGitlabToken,
  deliveryHeader: 'X-Gitlab-Event-UUID',
  deliveryHint: 'GitLab sends it with every delivery since 14.x; upgrade an older GitLab',
  eventHeader: 'X-Gitlab-Event',
  classify: (event) => (GITLAB_PUSH_EVENTS.has(event) ? 'push' : 'ignore'),
};

const generic: ProviderSpec = {
  name: 'generic',
  secretEnv: 'BOREALIS_WEBHOOK_SECRET',
  secret: (s) => s.generic,
  credentialHeader: 'X-Signature',
  credentialKind: 'signature',
  verify: verifyGenericSignature,
  deliveryHeader: 'X-Delivery',
  deliveryHint: 'send a new unique id (e.g. a UUID) with each delivery, the same one on a retry',
  eventHeader: undefined,
  classify: () => 'push',
};

export const PROVIDERS: readonly ProviderSpec[] = [github, gitlab, generic];

/** The configured secret, or undefined: an empty secret would make every signature trivially forgeable. */
export function configuredSecret(spec: ProviderSpec, secrets: WebhookSecrets): string | undefined {
  const secret = spec.secret(secrets);
  return secret ? secret : undefined;
}
