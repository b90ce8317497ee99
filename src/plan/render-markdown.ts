/** The plan as a pull-request comment: a summary table, then each job's diff folded. */
import { describeChange, formatValue, hasChanges, marker, summaryLine, visibleChanges } from './describe.js';
import { planHeading } from './source.js';
import type { JobChange, Plan } from './types.js';

/** Diffs longer than this are folded in <details> so a big change does not drown the comment. */
const FOLD_AFTER_LINES = 10;

export function renderMarkdown(plan: Plan): string {
  const [title, ...notes] = planHeading(plan, (text) => `\`${text}\``);
  const out = [`### ${title}`, '', ...notes.flatMap((note) => [note, ''])];
  if (plan.massKill) out.push(`> [!CAUTION]\n> Refused: ${plan.massKill.message}`, '');
  if (!hasChanges(plan))
    out.push(`No changes: the cluster matches ${plan.source ? 'the working tree' : 'this commit'}.`, '');
  const changes = visibleChanges(plan);
  if (changes.length > 0) {
    out.push('| | Job | Action | What happens |', '|---|---|---|---|');
    for (const change of changes)
      out.push(
        `| \`${marker(change)}\` | \`${change.job}\` | ${change.action} | ${escapeCell(describeChange(change))} |`,
      );
    out.push('');
    for (const change of changes.filter((c) => c.diff.length > 0)) out.push(...renderDiff(change), '');
  }
  for (const warning of plan.warnings) out.push(`- :warning: ${escapeCell(warning)}`);
  out.push(`**${summaryLine(plan)}**`, '');
  return out.join('\n');
}

function renderDiff(change: JobChange): string[] {
  const lines = change.diff.flatMap((field) => [
    ...(field.from !== undefined ? [`- ${field.path}: ${formatValue(field.from)}`] : []),
    ...(field.to !== undefined ? [`+ ${field.path}: ${formatValue(field.to)}`] : []),
  ]);
  const count = `${change.diff.length} field${change.diff.length === 1 ? '' : 's'} changed`;
  const body = ['```diff', ...lines, '```'];
  if (lines.length <= FOLD_AFTER_LINES) return [`**\`${change.job}\`** (${count})`, ...body];
  return [`<details><summary><code>${change.job}</code>: ${count}</summary>`, '', ...body, '', '</details>'];
}

function escapeCell(text: string): string {
  return text.replace(/\|/g, '\\|');
}
