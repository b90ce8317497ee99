/**
 * The `{{…}}` variables a command line may use, as in Aurora. Anything else is an error
 * ("unbound variable"), because Aurora's Pystachio would have silently printed nothing.
 */
const VARIABLE = /\{\{\s*([^{}]*?)\s*\}\}/g;
const PORT = /^thermos\.ports\[([^\]]+)\]$/;
const STATIC_VARIABLES = new Set(['mesos.instance', 'mesos.hostname', 'thermos.task_id']);

export type TemplateReference =
  { kind: 'port'; name: string } | { kind: 'static'; name: string } | { kind: 'unknown'; name: string };

export function templateReferences(text: string): TemplateReference[] {
  return [...text.matchAll(VARIABLE)].map(([, inner = '']) => {
    const port = PORT.exec(inner);
    if (port) return { kind: 'port', name: port[1]! };
    return STATIC_VARIABLES.has(inner) ? { kind: 'static', name: inner } : { kind: 'unknown', name: inner };
  });
}

export interface TemplateBindings {
  instance: number;
  hostname: string;
  taskId: string;
  ports: Record<string, number>;
}

/** Substitutes every known variable; callers have validated that no unknown one remains. */
export function renderTemplate(text: string, bindings: TemplateBindings): string {
  return text.replace(VARIABLE, (whole, inner: string) => {
    const port = PORT.exec(inner);
    if (port) return String(bindings.ports[port[1]!] ?? whole);
    if (inner === 'mesos.instance') return String(bindings.instance);
    if (inner === 'mesos.hostname') return bindings.hostname;
    if (inner === 'thermos.task_id') return bindings.taskId;
    return whole;
  });
}

export const KNOWN_VARIABLES = [
  'mesos.instance',
  'mesos.hostname',
  'thermos.task_id',
  'thermos.ports[<name>]',
];
