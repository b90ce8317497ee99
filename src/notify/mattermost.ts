/**
 * Mattermost incoming webhooks accept Slack's payload, attachments included, and answer 200
 * like Slack; the message is built by the Slack sink so the two cannot drift apart.
 */
import { isOk, jsonProtocol, type SinkProtocol } from './protocol.js';
import { slackPayload } from './slack.js';

export const mattermost: SinkProtocol = jsonProtocol('mattermost', slackPayload, isOk);
