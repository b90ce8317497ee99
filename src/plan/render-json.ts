/** The plan for machines: a versioned document (schemas/plan.schema.json). */
import type { Plan } from './types.js';
import { toPlanDocument } from './wire.js';

export function renderJson(plan: Plan): string {
  return `${JSON.stringify(toPlanDocument(plan), null, 2)}\n`;
}
