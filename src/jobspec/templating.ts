/**
 * Aurora's template variables, one module for both ends: the validator finds every
 * reference (an unknown one is an error, as "unbound variable" was in Aurora), and the
 * executor binds them at launch. Only references that look like Aurora variables are
 * touched, so `{{.State}}` in a docker format string is left alone.
 */
import { BorealisError } from '../errors.js';

const REFERENCE = /\{\{\s*([A-Za-z_]\w*(?:\.[A-Za-z_]\w*|\[[^\]{}\s]+\])*)\s*\}\}/g;
const PORT = /^thermos\.ports\[([^\]]+)\]$/;
const STATIC_VARIABLES = new Set(['mesos.instance', 'mesos.hostname', 'thermos.task_id']);

export const KNOWN_VARIABLES = [
  'mesos.instance',
  'mesos.hostname',
  'thermos.task_id',
  'thermos.ports[<name>]',
];

export type TemplateReference =
  { kind: 'port'; name: string } | { kind: 'static'; name: string } | { kind: 'unknown'; name: string };

export function templateReferences(text: string): TemplateReference[] {
  return [...text.matchAll(REFERENCE)].map(([, inner = '']) => {
    const port = PORT.exec(inner);
    if (port) return { kind: 'port', name: port[1]! };
    return STATIC_VARIABLES.has(inner) ? { kind: 'static', name: inner } : { kind: 'unknown', name: inner };
  });
}

export interface TemplateContext {
  instance: number;
  hostname: string;
  taskId: string;
  ports: Record<string, number>;
}

export class TemplateError extends BorealisError {
  constructor(readonly unbound: string[]) {
    super(
      'TEMPLATE_UNBOUND',
      `unbound template variables: ${unbound.map((ref) => `{{${ref}}}`).join(', ')}`,
      {
        hint: '`borealis validate` names the job and line that use them',
      },
    );
    this.name = 'TemplateError';
  }
}

function resolve(reference: string, context: TemplateContext): string | undefined {
  if (reference === 'mesos.instance') return String(context.instance);
  if (reference === 'mesos.hostname') return context.hostname;
  if (reference === 'thermos.task_id') return context.taskId;
  const port = PORT.exec(reference)?.[1];
  return port !== undefined && Object.hasOwn(context.ports, port) ? String(context.ports[port]) : undefined;
}

/** Binds every reference; throws `TemplateError` naming those that cannot be bound. */
export function renderTemplate(text: string, context: TemplateContext): string {
  const unbound: string[] = [];
  const rendered = text.replace(REFERENCE, (whole, reference: string) => {
    const value = resolve(reference, context);
    if (value === undefined) unbound.push(reference);
    return value ?? whole;
  });
  if (unbound.length > 0) throw new TemplateError(unbound);
  return rendered;
}
