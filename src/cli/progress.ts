/**
 * Progress of a reconcile: one line per instance event, each saying where its job's
 * rollout stands (instances done of its total, and the phase), and on a terminal a bar per
 * job. The counts come from the rollout itself, so a resumed rollout counts the instances
 * an earlier run already updated.
 */
import type { DeployProgress } from '../deploy/executor.js';
import { describeProgress } from '../deploy/rollout-progress.js';
import type { Io } from './io.js';

const BAR_WIDTH = 20;

export class ProgressPrinter {
  constructor(private readonly io: Io) {}

  print(progress: DeployProgress): void {
    this.io.stdout.write(`  ${progressLine(progress)}\n`);
    const rollout = progress.rollout;
    if (this.io.stdout.isTTY && rollout && rollout.total > 0)
      this.io.stdout.write(`  ${bar(rollout.done, rollout.total)} ${rollout.phase} ${progress.job}\n`);
  }
}

/** `JOB/INSTANCE: EVENT detail (2/3 updating batch 2 of 3)` */
export function progressLine(progress: DeployProgress): string {
  const where = progress.instance === undefined ? progress.job : `${progress.job}/${progress.instance}`;
  const detail = progress.event === 'ROLLOUT_PHASE' ? '' : (progress.detail ?? '');
  const standing = progress.rollout ? ` (${describeProgress(progress.rollout)})` : '';
  return `${where}: ${progress.event}${detail ? ` ${detail}` : ''}${standing}`;
}

export function bar(done: number, total: number): string {
  const filled = Math.round((Math.min(done, total) / total) * BAR_WIDTH);
  return `[${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}] ${Math.min(done, total)}/${total}`;
}
