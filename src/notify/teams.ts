/**
 * Microsoft Teams through a Workflows ("Post to a channel when a webhook request is
 * received") webhook: a message whose one attachment is an Adaptive Card. The old Office 365
 * connector cards are retired, so MessageCard is not spoken. Cards have no colour bar; the
 * title's TextBlock colour carries the severity. Workflows answer 202 once they queue the
 * post, so any 2xx is success.
 */
import type { NotificationEvent, Severity } from './events.js';
import { messageOf, utcMinute, type List, type Message } from './message.js';
import { is2xx, jsonProtocol, type SinkProtocol } from './protocol.js';

export type TeamsColor = 'good' | 'warning' | 'attention';

export interface TextBlock {
  type: 'TextBlock';
  text: string;
  wrap: true;
  color?: TeamsColor;
  weight?: 'Bolder';
  size?: 'Small' | 'Medium';
  isSubtle?: true;
  fontType?: 'Monospace';
  spacing?: 'None' | 'Medium';
}

export interface FactSet {
  type: 'FactSet';
  facts: { title: string; value: string }[];
}

export interface AdaptiveCard {
  $schema: 'http://adaptivecards.io/schemas/adaptive-card.json';
  type: 'AdaptiveCard';
  version: '1.4';
  /** Shown by clients that cannot render the card, and in previews. */
  fallbackText: string;
  body: (TextBlock | FactSet)[];
  actions?: [{ type: 'Action.OpenUrl'; title: 'View commit'; url: string }];
}

export interface TeamsPayload {
  type: 'message';
  attachments: [
    {
      contentType: 'application/vnd.microsoft.card.adaptive';
      contentUrl: null;
      content: AdaptiveCard;
    },
  ];
}

const COLORS: Record<Severity, TeamsColor> = { good: 'good', warning: 'warning', danger: 'attention' };

export function teamsPayload(event: NotificationEvent): TeamsPayload {
  const message = messageOf(event);
  return {
    type: 'message',
    attachments: [
      {
        contentType: 'application/vnd.microsoft.card.adaptive',
        contentUrl: null,
        content: {
          $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
          type: 'AdaptiveCard',
          version: '1.4',
          fallbackText: message.headline,
          body: cardBody(message),
          ...(message.link === undefined
            ? {}
            : { actions: [{ type: 'Action.OpenUrl', title: 'View commit', url: message.link }] }),
        },
      },
    ],
  };
}

function cardBody(message: Message): (TextBlock | FactSet)[] {
  return [
    {
      type: 'TextBlock',
      text: message.title,
      wrap: true,
      color: COLORS[message.severity],
      weight: 'Bolder',
      size: 'Medium',
    },
    { type: 'TextBlock', text: message.body, wrap: true },
    { type: 'FactSet', facts: message.facts.map(({ title, value }) => ({ title, value })) },
    ...message.lists.flatMap(listBlocks),
    {
      type: 'TextBlock',
      text: `Borealis · ${utcMinute(message.at)}`,
      wrap: true,
      size: 'Small',
      isSubtle: true,
    },
  ];
}

/** One block per item: Adaptive Card markdown lists render differently from client to client. */
function listBlocks(list: List): TextBlock[] {
  const items: TextBlock[] = list.items.map((item) => ({
    type: 'TextBlock',
    text: item,
    wrap: true,
    fontType: 'Monospace',
    spacing: 'None',
  }));
  const more: TextBlock[] =
    list.omitted > 0
      ? [{ type: 'TextBlock', text: `and ${list.omitted} more`, wrap: true, spacing: 'None' }]
      : [];
  return [
    { type: 'TextBlock', text: list.title, wrap: true, weight: 'Bolder', spacing: 'Medium' },
    ...items,
    ...more,
  ];
}

export const teams: SinkProtocol = jsonProtocol('teams', teamsPayload, is2xx);
