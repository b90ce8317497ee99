/** Words and markers shared by the plan renderers. */
import type { Action, CronPlan, FieldChange, HeldUpdate, JobChange, Plan } from './types.js';

/** `[0, 1, 2, 5, 7, 8]` → `0-2, 5, 7-8` */
export function formatRanges(numbers: readonly number[]): string {
  const sorted = [...numbers].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length;) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    parts.push(i === j ? `${sorted[i]}` : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(', ');
}

/** Terraform's markers: + create, - destroy, ~ change in place, -/+ replace; ! a held update. */
export function marker(change: JobChange): string {
  if (change.held && change.action === 'noop') return '!';
  const markers: Record<Action, string> = {
    create: '+',
    kill: '-',
    orphan: '-',
    scale: '~',
    heal: '~',
    noop: ' ',
    update: '~',
    schedule: '+',
    reschedule: '~',
    deschedule: '-',
  };
  return change.action === 'update' && change.instances.update.length > 0 ? '-/+' : markers[change.action];
}

const plural = (count: number, word: string): string => `${count} ${word}${count === 1 ? '' : 's'}`;

/** One line saying what happens to a job's instances. */
export function describeChange(change: JobChange): string {
  const { add, update, remove, heal } = change.instances;
  const parts: string[] = [];
  switch (change.action) {
    case 'schedule':
    case 'reschedule':
    case 'deschedule':
      return describeCron(change, change.action);
    case 'create':
      return `create ${plural(add.length, 'instance')} [${formatRanges(add)}]`;
    case 'kill':
      return `kill ${plural(remove.length, 'instance')}${remove.length ? ` [${formatRanges(remove)}]` : ''}`;
    case 'orphan':
      return `kill ${plural(change.killTasks.length, 'orphaned task')} no commit declares`;
  }
  if (update.length)
    parts.push(
      `restart ${plural(update.length, 'instance')} [${formatRanges(update)}] with the new configuration`,
    );
  if (change.action === 'update' && update.length === 0)
    parts.push('update the configuration (restarts nothing)');
  if (change.from && change.to && change.from.instances !== change.to.instances) {
    parts.push(`scale ${change.from.instances} → ${change.to.instances}`);
  }
  if (add.length) parts.push(`add [${formatRanges(add)}]`);
  if (remove.length) parts.push(`remove [${formatRanges(remove)}]`);
  if (heal.length) parts.push(`relaunch lost [${formatRanges(heal)}]`);
  if (change.deferred.length)
    parts.push(`relaunch [${formatRanges(change.deferred.map((d) => d.instance))}] after back-off`);
  const duplicates = change.killTasks.length - remove.length;
  if (duplicates > 0) parts.push(`kill ${plural(duplicates, 'duplicate task')}`);
  if (change.held) parts.push(describeHold(change.held, change.from?.configHash));
  return parts.join('; ') || 'no change';
}

/**
 * A cron job's line: its schedule and next runs; nothing is launched now. `schedule
 * "0 3 * * *" UTC, next 2026-12-08 03:00Z, ...; kill 2 instances [0-1] of the job it was`.
 */
function describeCron(change: JobChange, action: 'schedule' | 'reschedule' | 'deschedule'): string {
  const { cron, instances } = change;
  const schedule = cron ? describeSchedule(cron) : '';
  const parts = [
    {
      schedule: `schedule ${schedule}`,
      reschedule: `reschedule ${schedule}; the next run uses it, a run in progress goes on`,
      deschedule: `deschedule ${schedule}: no more runs; a run in progress finishes`,
    }[action],
  ];
  const stray = instances.remove.length;
  if (stray > 0)
    parts.push(`kill ${plural(stray, 'instance')} [${formatRanges(instances.remove)}] that no run started`);
  return parts.join('; ');
}

/** `"0 3 * * *" Europe/Berlin, next 2026-12-08 02:00Z, ...`; "paused" instead of the next runs. */
export function describeSchedule(cron: CronPlan): string {
  const when = `${JSON.stringify(cron.schedule)} ${cron.timezone}`;
  if (cron.paused) return `${when}, paused`;
  if (cron.nextRuns.length === 0) return when;
  return `${when}, next ${cron.nextRuns.map(minuteUtc).join(', ')}`;
}

/** An instant to the minute in UTC: `2026-12-08 03:00Z`. */
export function minuteUtc(ms: number): string {
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)}Z`;
}

/** Why a job's desired configuration is not rolled out, and how to get past it. */
export function describeHold(held: HeldUpdate, running: string | undefined): string {
  const failed =
    held.outcome === 'rolled_back'
      ? 'failed and was rolled back'
      : `failed${held.reason ? ` (${held.reason})` : ''}`;
  return `held: the update to ${held.configHash} from ${held.commit.slice(0, 12)} ${failed}; running ${running ?? '(unknown)'}; commit a change or run 'borealis reconcile' to retry`;
}

export function formatValue(value: unknown): string {
  return value === undefined ? '(unset)' : JSON.stringify(value);
}

export function describeField(field: FieldChange): string {
  return `${field.path}: ${formatValue(field.from)} → ${formatValue(field.to)}`;
}

export function summaryLine({ summary, changes }: Plan): string {
  const held = changes.filter((change) => change.held).length;
  const extra = [
    summary.scale ? `${summary.scale} to scale` : '',
    summary.heal ? `${summary.heal} to heal` : '',
    summary.schedule ? `${summary.schedule} to schedule` : '',
    summary.reschedule ? `${summary.reschedule} to reschedule` : '',
    summary.deschedule ? `${summary.deschedule} to deschedule` : '',
    summary.orphan ? `${plural(summary.orphan, 'orphaned job')} to kill` : '',
    held ? `${held} held` : '',
  ].filter(Boolean);
  const base = `Plan: ${summary.create} to create, ${summary.update} to update, ${summary.kill} to kill`;
  return `${[base, ...extra].join(', ')}.`;
}

/** The changes a person or a record is shown: every job with something to do, to wait for, or held. */
export function visibleChanges(plan: Plan): JobChange[] {
  return plan.changes.filter(
    (change) => change.action !== 'noop' || change.deferred.length > 0 || change.held !== undefined,
  );
}

/**
 * Whether the cluster differs from the commit: something to carry out, or an update held
 * after failing (what runs is not what the commit asks for). `plan --detailed-exitcode`.
 */
export function hasChanges(plan: Plan): boolean {
  return hasWork(plan) || plan.changes.some((change) => change.held !== undefined);
}

/**
 * Whether applying the plan would do anything. A held update alone is not work: passes of
 * the daemon leave it as it is rather than retry it in a loop. A scheduled cron job with
 * nothing to change is a noop while its runs come and go.
 */
export function hasWork(plan: Plan): boolean {
  return plan.changes.some((change) => change.action !== 'noop');
}
