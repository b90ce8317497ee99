/** The plan for a terminal: markers, one line per job, field diffs, and a summary line. */
import {
  describeChange,
  describeField,
  hasChanges,
  marker,
  summaryLine,
  visibleChanges,
} from './describe.js';
import { planHeading } from './source.js';
import type { Plan } from './types.js';

const COLOURS: Record<string, string> = {
  '+': '\x1b[32m',
  '-': '\x1b[31m',
  '~': '\x1b[33m',
  '-/+': '\x1b[35m',
};
const RESET = '\x1b[0m';

export function renderText(plan: Plan, options: { colour?: boolean } = {}): string {
  const paint = (mark: string, text: string) =>
    options.colour && COLOURS[mark] ? `${COLOURS[mark]}${text}${RESET}` : text;
  const lines = [...planHeading(plan, (text) => text), ''];
  for (const change of visibleChanges(plan)) {
    const mark = marker(change);
    lines.push(paint(mark, `${mark.padStart(3)} ${change.job}: ${describeChange(change)}`));
    for (const field of change.diff) lines.push(`      ${describeField(field)}`);
  }
  if (!hasChanges(plan))
    lines.push(`No changes: the cluster matches ${plan.source ? 'the working tree' : 'the commit'}.`);
  for (const warning of plan.warnings) lines.push(`warning: ${warning}`);
  if (plan.massKill) lines.push(paint('-', `refused: ${plan.massKill.message}`));
  lines.push('', summaryLine(plan));
  return `${lines.join('\n')}\n`;
}
