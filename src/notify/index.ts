/** Notifications: events in, chat messages and webhook deliveries out. */
export { commitUrl } from './commit-link.js';
export {
  envVariableOf,
  NOTIFY_FLAG,
  parseSinks,
  SINK_KINDS,
  WEBHOOK_SECRET_ENV,
  type SinkConfig,
  type SinkKind,
} from './config.js';
export {
  DEFAULT_DELIVERY_POLICY,
  type DeliveryPolicy,
  type DeliveryResult,
  type SinkStats,
} from './delivery.js';
export * from './events.js';
export {
  createNotifier,
  DEFAULT_CLOSE_TIMEOUT_MS,
  type CloseOptions,
  type Notifier,
  type NotifierOptions,
} from './notifier.js';
export { slackPayload, type SlackPayload } from './slack.js';
export { teamsPayload, type TeamsPayload } from './teams.js';
export {
  webhookEvent,
  webhookPayload,
  webhookSignature,
  WEBHOOK_PAYLOAD_VERSION,
  type WebhookEvent,
  type WebhookPayload,
} from './webhook.js';
