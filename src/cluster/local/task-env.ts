/** What every process of a task sees: its environment and its rendered command lines. */
import { dirname } from 'node:path';
import type { TaskRecord } from './records.js';
import { markTaskEnvironment } from './task-markers.js';
import { renderTemplate, type TemplateContext } from '../../jobspec/templating.js';

export function templateContext(record: TaskRecord): TemplateContext {
  return { instance: record.instance, hostname: record.hostname, taskId: record.taskId, ports: record.ports };
}

export function portEnvName(portName: string): string {
  return `PORT_${portName.toUpperCase().replace(/[^A-Z0-9_]/g, '_')}`;
}

/**
 * Base environment, then the job's `env`, then what the agent provides, which wins: among it
 * the marker that identifies the task's processes (task-markers.ts).
 */
export function taskEnvironment(
  record: TaskRecord,
  sandboxDir: string,
  base: NodeJS.ProcessEnv,
): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...base, ...record.config.env };
  env.MESOS_SANDBOX = sandboxDir;
  markTaskEnvironment(env, dirname(sandboxDir), record.taskId);
  for (const [name, port] of Object.entries(record.ports)) env[portEnvName(name)] = String(port);
  return env;
}

export interface RenderedTask {
  commands: Record<string, string>;
  healthShellCommand?: string;
}

/** Throws `TemplateError` naming every unbound variable. */
export function renderTask(record: TaskRecord): RenderedTask {
  const context = templateContext(record);
  const commands: Record<string, string> = {};
  for (const process of record.config.task.processes) {
    commands[process.name] = renderTemplate(process.cmdline, context);
  }
  const shell = record.config.health_check_config?.shell?.shell_command;
  return shell === undefined
    ? { commands }
    : { commands, healthShellCommand: renderTemplate(shell, context) };
}

/**
 * Port names resolved through the announcer's portmap, as Aurora's executor does: an alias may
 * name another port (possibly another alias) or give a fixed number.
 */
export function resolvePortmap(
  ports: Record<string, number>,
  portmap: Record<string, string | number> = {},
): Record<string, number> {
  const resolved: Record<string, number> = { ...ports };
  const lookup = (target: string | number, depth: number): number | undefined => {
    if (typeof target === 'number') return target;
    if (Object.hasOwn(ports, target)) return ports[target];
    const next = portmap[target];
    return next === undefined || depth > Object.keys(portmap).length ? undefined : lookup(next, depth + 1);
  };
  for (const [alias, target] of Object.entries(portmap)) {
    const port = lookup(target, 0);
    if (port !== undefined && !Object.hasOwn(ports, alias)) resolved[alias] = port;
  }
  return resolved;
}

/**
 * Aurora checks the `health` port (after portmap aliasing); this backend also accepts a plain
 * `http` port so the common single-port service needs no alias.
 */
export function healthPort(record: TaskRecord): number | undefined {
  const ports = resolvePortmap(record.ports, record.config.announce?.portmap);
  return ports.health ?? ports.http;
}
