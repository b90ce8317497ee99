/** Rendering validation problems in every output format. */
import { PLAN_DOCUMENT_VERSION } from '../plan/wire.js';
import type { Problem } from '../jobspec/types.js';
import { formatProblem } from '../jobspec/problem-text.js';
import type { Output } from './output.js';

export { formatProblem };

export function renderProblems(problems: readonly Problem[], origin: string, output: Output): string {
  if (output === 'json') {
    const document = { format_version: PLAN_DOCUMENT_VERSION, errors: problems.map(pickProblemFields) };
    return `${JSON.stringify(document, null, 2)}\n`;
  }
  if (output === 'markdown') {
    const rows = problems.map(
      (p) =>
        `| \`${p.file}:${p.line}:${p.column}\` | \`${p.path || '-'}\` | ${p.message.replace(/\|/g, '\\|')} |`,
    );
    return [
      `### :x: ${origin} is invalid: nothing would be applied`,
      '',
      '| Where | Field | Problem |',
      '|---|---|---|',
      ...rows,
      '',
    ].join('\n');
  }
  const count = `${problems.length} problem${problems.length === 1 ? '' : 's'}`;
  return `${problems.map(formatProblem).join('\n')}\n${origin}: ${count}; nothing may be applied from it\n`;
}

export function pickProblemFields({ file, line, column, path, message }: Problem): Problem {
  return { file, line, column, path, message };
}
