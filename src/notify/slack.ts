/**
 * Slack incoming webhooks: a legacy attachment carries the colour bar, title link and fields,
 * and the top-level `text` is the line notifications and attachment-blind clients show.
 * Mattermost accepts this payload as it is (see `mattermost.ts`), so everything here stays
 * within what both render: `<url|label>` links (Mattermost translates them), no `*bold*`
 * (it means italics in Mattermost), code blocks for machine text.
 */
import type { NotificationEvent, Severity } from './events.js';
import { messageOf, type Fact, type List } from './message.js';
import { isOk, jsonProtocol, type SinkProtocol } from './protocol.js';

export interface SlackField {
  title: string;
  value: string;
  short: boolean;
}

export interface SlackAttachment {
  color: Severity;
  fallback: string;
  title: string;
  title_link?: string;
  text: string;
  fields: SlackField[];
  footer: string;
  /** Epoch seconds. */
  ts: number;
  mrkdwn_in: ['text'];
}

export interface SlackPayload {
  text: string;
  attachments: [SlackAttachment];
}

/**
 * Slack reads `&`, `<` and `>` as control characters (entities, links, mentions), so text
 * from commits and clusters must have them escaped: a commit titled `<!channel>` must not
 * page a whole channel.
 */
export function escapeSlack(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

/** Slack's link syntax ends at `|` and `>`; percent-encoding them keeps the URL whole. */
function slackLink(url: string, label: string): string {
  return `<${url.replaceAll('|', '%7C').replaceAll('>', '%3E')}|${escapeSlack(label)}>`;
}

export function slackPayload(event: NotificationEvent): SlackPayload {
  const message = messageOf(event);
  const headline = escapeSlack(message.headline);
  return {
    text: headline,
    attachments: [
      {
        color: message.severity,
        fallback: headline,
        title: escapeSlack(message.title),
        ...(message.link === undefined ? {} : { title_link: message.link }),
        text: [escapeSlack(message.body), ...message.lists.map(listText)].join('\n'),
        fields: message.facts.map(slackField),
        footer: 'Borealis',
        ts: Math.floor(message.at / 1000),
        mrkdwn_in: ['text'],
      },
    ],
  };
}

function slackField(fact: Fact): SlackField {
  const value = fact.link === undefined ? escapeSlack(fact.value) : slackLink(fact.link, fact.value);
  return { title: fact.title, value, short: fact.short };
}

function listText(list: List): string {
  const block = ['```', ...list.items.map(escapeSlack), '```'].join('\n');
  const more = list.omitted > 0 ? `\nand ${list.omitted} more` : '';
  return `${list.title}:\n${block}${more}`;
}

export const slack: SinkProtocol = jsonProtocol('slack', slackPayload, isOk);
