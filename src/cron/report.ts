/**
 * What the scheduler's events become outside it: a chat message for a failed run (told
 * once: the event comes once, when the run's end is saved) and the run counters.
 */
import type { NotificationEvent } from '../notify/events.js';
import type { CronEvent } from './step.js';
import type { CronReporter } from './scheduler.js';
import type { CronOutcome } from './types.js';

export interface CronRunCounter {
  /** A run ended, or a tick started none (skipped, missed: `count` ticks). */
  cronRunEnded(job: string, outcome: Exclude<CronOutcome, 'running'>, count?: number): void;
}

export function cronReporter(options: {
  cluster: string;
  now: () => number;
  notify?: (event: NotificationEvent) => void;
  counter?: CronRunCounter;
  /** Ticks were missed: the drift look that reports them (`missed_run`) should come soon. */
  onMissed?: () => void;
}): CronReporter {
  return {
    cronEvent(job: string, event: CronEvent): void {
      const { run } = event;
      const ended = event.type === 'run_ended' || event.type === 'tick_skipped';
      if (ended && run.outcome !== 'running') options.counter?.cronRunEnded(job, run.outcome);
      if (event.type === 'ticks_missed') {
        options.counter?.cronRunEnded(job, 'missed', run.missed?.count ?? 1);
        options.onMissed?.();
      }
      if (event.type !== 'run_ended' || run.outcome !== 'failed') return;
      options.notify?.({
        type: 'cron_run',
        status: 'failed',
        cluster: options.cluster,
        job,
        run: run.id,
        trigger: run.trigger,
        scheduled_at: run.scheduledAt,
        detail: run.detail ?? 'the run failed',
        ...(run.commit ? { commit: run.commit } : {}),
        at: options.now(),
      });
    },
  };
}
