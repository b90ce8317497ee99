import { renderJson } from '../plan/render-json.js';
import { renderMarkdown } from '../plan/render-markdown.js';
import { renderText } from '../plan/render-text.js';
import type { Plan } from '../plan/types.js';
import type { Output } from './output.js';

export function renderPlan(planned: Plan, output: Output, colour = false): string {
  if (output === 'json') return renderJson(planned);
  if (output === 'markdown') return renderMarkdown(planned);
  return renderText(planned, { colour });
}
