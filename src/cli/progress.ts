/**
 * Progress of a reconcile: one line per instance event, and on a terminal a bar per job
 * showing how many of its instances are done.
 */
import type { DeployProgress } from '../deploy/executor.js';
import type { Plan } from '../plan/types.js';
import type { Io } from './io.js';

const BAR_WIDTH = 20;
const DONE_EVENTS = new Set([
  'INSTANCE_UPDATED',
  'INSTANCE_ROLLED_BACK',
  'INSTANCE_UPDATE_FAILED',
  'INSTANCE_ROLLBACK_FAILED',
]);

export class ProgressPrinter {
  private readonly totals = new Map<string, number>();
  private readonly done = new Map<string, number>();

  constructor(
    plan: Plan,
    private readonly io: Io,
  ) {
    for (const change of plan.changes) {
      const { add, update } = change.instances;
      if (add.length + update.length > 0) this.totals.set(change.job, add.length + update.length);
    }
  }

  print(progress: DeployProgress): void {
    const where = progress.instance === undefined ? progress.job : `${progress.job}/${progress.instance}`;
    this.io.stdout.write(`  ${where}: ${progress.event}${progress.detail ? ` ${progress.detail}` : ''}\n`);
    if (!DONE_EVENTS.has(progress.event)) return;
    if (progress.event === 'INSTANCE_UPDATED' || progress.event === 'INSTANCE_UPDATE_FAILED') {
      this.done.set(progress.job, (this.done.get(progress.job) ?? 0) + 1);
    }
    const total = this.totals.get(progress.job);
    if (this.io.stdout.isTTY && total)
      this.io.stdout.write(`  ${bar(this.done.get(progress.job) ?? 0, total)} ${progress.job}\n`);
  }
}

export function bar(done: number, total: number): string {
  const filled = Math.round((Math.min(done, total) / total) * BAR_WIDTH);
  return `[${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}] ${Math.min(done, total)}/${total}`;
}
