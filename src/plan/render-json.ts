/** The plan for machines: versioned, stable, noop jobs counted in the summary only. */
import { visibleChanges } from './describe.js';
import type { Plan } from './types.js';

export function renderJson(plan: Plan): string {
  return `${JSON.stringify({ ...plan, changes: visibleChanges(plan) }, null, 2)}\n`;
}
