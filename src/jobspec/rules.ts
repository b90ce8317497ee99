/**
 * Checks the schema cannot express, run on one job after schema validation (so the shape
 * is known and defaults are filled). An ordered table of named rules, each returning the
 * problems it finds with the field path they are about. Each rule names the fields it
 * reads: when the schema rejected some other field, the rules whose fields all passed it
 * still run, so one run reports every problem, and none reasons from a value already
 * reported as wrong.
 */
import { cronProblem, timezoneProblem } from './cron.js';
import { jobFieldDefault, type SchemaProblem } from './schema.js';
import { sizeRangeProblem } from './sizes.js';
import { progressDeadlineSecs } from './types.js';
import { KNOWN_VARIABLES, templateReferences } from './templating.js';
import type { WrittenJob } from './written.js';

type FieldPath = readonly (string | number)[];

export interface Rule {
  name: string;
  /** The fields `check` reads; it runs only when the schema accepted all of them. */
  reads: readonly FieldPath[];
  check(job: WrittenJob): SchemaProblem[];
}

const PROCESSES = ['task', 'processes'];
const ORDERS = ['task', 'constraints'];
const PORTS = ['task', 'resources', 'ports'];
const HEALTH = ['health_check_config'];

const problem = (path: (string | number)[], message: string): SchemaProblem => ({
  path,
  at: 'value',
  message,
});

export const RULES: readonly Rule[] = [
  {
    name: 'process-names-unique',
    reads: [PROCESSES],
    check: ({ task }) =>
      task.processes.flatMap((process, index) =>
        task.processes.findIndex((other) => other.name === process.name) < index
          ? [
              problem(
                ['task', 'processes', index, 'name'],
                `process "${process.name}" is declared twice in the task`,
              ),
            ]
          : [],
      ),
  },
  {
    name: 'order-names-exist',
    reads: [PROCESSES, ORDERS],
    check: ({ task }) => {
      const names = new Set(task.processes.map((process) => process.name));
      return task.constraints.flatMap((constraint, c) =>
        constraint.order.flatMap((name, i) =>
          names.has(name)
            ? []
            : [
                problem(
                  ['task', 'constraints', c, 'order', i],
                  `no process named "${name}" in this task (processes: ${[...names].join(', ')})`,
                ),
              ],
        ),
      );
    },
  },
  {
    name: 'order-acyclic',
    reads: [ORDERS],
    check: ({ task }) => orderCycle(task.constraints.map((c) => c.order)),
  },
  {
    name: 'sizes-in-range',
    reads: [
      ['task', 'resources', 'ram'],
      ['task', 'resources', 'disk'],
    ],
    check: ({ task }) =>
      (['ram', 'disk'] as const).flatMap((field) => {
        const found = sizeRangeProblem(field, task.resources[field]);
        return found ? [problem(['task', 'resources', field], found)] : [];
      }),
  },
  { name: 'template-variables', reads: [PROCESSES, PORTS, HEALTH], check: checkTemplateVariables },
  {
    name: 'failures-below-instances',
    reads: [['instances'], ['update_config']],
    check: ({ instances, update_config }) =>
      update_config.max_total_failures < instances
        ? []
        : [
            problem(
              ['update_config', 'max_total_failures'],
              `must be less than instances (${instances}): with ${update_config.max_total_failures} tolerated failures an update could fail every instance`,
            ),
          ],
  },
  {
    name: 'watch-within-deadline',
    reads: [['update_config']],
    check: ({ update_config }) => {
      // Unset, the deadline is ten minutes beyond the watch (progressDeadlineSecs).
      if (update_config.progress_deadline_secs === undefined) return [];
      const deadline = progressDeadlineSecs(update_config);
      if (update_config.watch_secs < deadline) return [];
      const which = `progress_deadline_secs (${deadline})`;
      return [
        problem(
          ['update_config', 'watch_secs'],
          `must be less than ${which}: every instance would pass its deadline while being watched; raise update_config.progress_deadline_secs`,
        ),
      ];
    },
  },
  {
    name: 'one-health-checker',
    reads: [HEALTH],
    check: ({ health_check_config: health }) =>
      health?.http && health.shell
        ? [problem(['health_check_config'], 'set either http or shell, not both')]
        : [],
  },
  {
    name: 'http-health-port',
    reads: [HEALTH, PORTS],
    check: ({ health_check_config: health, task }) => {
      if (!health || health.shell) return [];
      const ports = task.resources.ports;
      return ports.includes('health') || ports.includes('http')
        ? []
        : [
            problem(
              ['health_check_config'],
              "an HTTP health check needs a port named 'health' or 'http' in task.resources.ports",
            ),
          ];
    },
  },
  {
    name: 'announce-ports',
    reads: [['announce'], PORTS],
    check: ({ announce, task }) => {
      if (!announce) return [];
      const ports = task.resources.ports;
      const missing = (name: string) =>
        `no port named "${name}" in task.resources.ports (requested: ${ports.join(', ') || 'none'})`;
      const found: SchemaProblem[] = ports.includes(announce.primary_port)
        ? []
        : [problem(['announce', 'primary_port'], missing(announce.primary_port))];
      for (const [alias, target] of Object.entries(announce.portmap)) {
        if (typeof target === 'string' && !ports.includes(target))
          found.push(problem(['announce', 'portmap', alias], missing(target)));
      }
      return found;
    },
  },
  {
    name: 'cron-schedule-valid',
    reads: [['cron_schedule']],
    check: ({ cron_schedule }) => {
      const found = cron_schedule === undefined ? undefined : cronProblem(cron_schedule);
      return found ? [problem(['cron_schedule'], found)] : [];
    },
  },
  {
    name: 'cron-timezone-known',
    reads: [['cron_timezone']],
    check: ({ cron_timezone }) => {
      const found = cron_timezone === undefined ? undefined : timezoneProblem(cron_timezone);
      return found ? [problem(['cron_timezone'], found)] : [];
    },
  },
  {
    name: 'cron-fields-need-schedule',
    reads: [['cron_schedule'], ['cron_timezone'], ['cron_paused'], ['cron_collision_policy']],
    check: (job) => {
      if (job.cron_schedule !== undefined) return [];
      const set = [
        job.cron_timezone !== undefined && 'cron_timezone',
        job.cron_paused && 'cron_paused',
        job.cron_collision_policy !== jobFieldDefault('cron_collision_policy') && 'cron_collision_policy',
      ].filter((field) => field !== false);
      return set.map((field) =>
        problem([field], 'only meaningful with cron_schedule, which this job does not set'),
      );
    },
  },
  {
    name: 'cron-not-service',
    reads: [['cron_schedule'], ['service']],
    check: ({ cron_schedule, service }) =>
      cron_schedule !== undefined && service
        ? [problem(['cron_schedule'], 'a cron job cannot be a service (service: true)')]
        : [],
  },
  {
    name: 'final-order',
    reads: [ORDERS, PROCESSES],
    check: ({ task }) =>
      task.constraints.flatMap((constraint, c) => {
        const finals = constraint.order.map(
          (name) => task.processes.find((p) => p.name === name)?.final ?? false,
        );
        return finals.some(Boolean) && !finals.every(Boolean)
          ? [
              problem(
                ['task', 'constraints', c, 'order'],
                'an order may not mix final and non-final processes',
              ),
            ]
          : [];
      }),
  },
];

/** Every rule whose fields are not among the paths the schema rejected (`rejected`). */
export function checkRules(job: WrittenJob, rejected: readonly FieldPath[] = []): SchemaProblem[] {
  const runs = (rule: Rule) => !rule.reads.some((read) => rejected.some((path) => overlaps(read, path)));
  return RULES.filter(runs).flatMap((rule) => rule.check(job));
}

/** Whether one path lies within the other. */
export function overlaps(a: FieldPath, b: FieldPath): boolean {
  const shorter = Math.min(a.length, b.length);
  for (let index = 0; index < shorter; index++) if (a[index] !== b[index]) return false;
  return true;
}

function checkTemplateVariables({ task, health_check_config }: WrittenJob): SchemaProblem[] {
  const ports = new Set(task.resources.ports);
  const texts: { path: (string | number)[]; text: string }[] = task.processes.map((process, index) => ({
    path: ['task', 'processes', index, 'cmdline'],
    text: process.cmdline,
  }));
  if (health_check_config?.shell) {
    texts.push({
      path: ['health_check_config', 'shell', 'shell_command'],
      text: health_check_config.shell.shell_command,
    });
  }
  return texts.flatMap(({ path, text }) =>
    templateReferences(text).flatMap((reference) => {
      if (reference.kind === 'port' && !ports.has(reference.name)) {
        return [
          problem(
            path,
            `{{thermos.ports[${reference.name}]}} refers to a port not requested in task.resources.ports (requested: ${[...ports].join(', ') || 'none'})`,
          ),
        ];
      }
      if (reference.kind === 'unknown') {
        return [
          problem(
            path,
            `unknown variable {{${reference.name}}}; known: ${KNOWN_VARIABLES.map((v) => `{{${v}}}`).join(', ')}`,
          ),
        ];
      }
      return [];
    }),
  );
}

/** Reports the first cycle in the combined "must run before" graph of all order lists. */
function orderCycle(orders: string[][]): SchemaProblem[] {
  const next = new Map<string, Set<string>>();
  for (const order of orders) {
    order.slice(1).forEach((name, i) => {
      const before = order[i]!;
      if (!next.has(before)) next.set(before, new Set());
      next.get(before)!.add(name);
    });
  }
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (name: string, trail: string[]): string[] | undefined => {
    if (state.get(name) === 'visiting') return [...trail.slice(trail.indexOf(name)), name];
    if (state.get(name) === 'done') return undefined;
    state.set(name, 'visiting');
    for (const successor of next.get(name) ?? []) {
      const cycle = visit(successor, [...trail, name]);
      if (cycle) return cycle;
    }
    state.set(name, 'done');
    return undefined;
  };
  for (const name of next.keys()) {
    const cycle = visit(name, []);
    if (cycle) {
      const index = orders.findIndex((order) => order.includes(cycle[0]!));
      return [
        problem(
          ['task', 'constraints', Math.max(index, 0), 'order'],
          `process order has a cycle: ${cycle.join(' → ')}`,
        ),
      ];
    }
  }
  return [];
}
