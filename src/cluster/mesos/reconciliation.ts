/**
 * Explicit reconciliation as Mesos's reconciliation guide prescribes: after every
 * (re)subscribe, ask the master about every task believed active, then ask again, with
 * truncated exponential back-off, about those it has not answered yet. Any status update
 * for a task answers it. Until then a task's state is only what Borealis remembers.
 */
export interface ReconcileTarget {
  taskId: string;
  agentId?: string;
}

export interface ReconciliationOptions {
  send: (tasks: ReconcileTarget[]) => Promise<void>;
  /** First wait for answers; doubled after each unanswered round. */
  initialMs?: number;
  maxMs?: number;
}

export class ExplicitReconciliation {
  private readonly unanswered = new Map<string, ReconcileTarget>();
  private timer: NodeJS.Timeout | undefined;
  private round = 0;

  constructor(private readonly options: ReconciliationOptions) {}

  /** Starts over with these tasks (a new subscription makes earlier rounds moot). */
  start(tasks: readonly ReconcileTarget[]): void {
    this.stop();
    for (const task of tasks) this.unanswered.set(task.taskId, task);
    this.round = 0;
    void this.ask();
  }

  answered(taskId: string): void {
    this.unanswered.delete(taskId);
    if (this.unanswered.size === 0) clearTimeout(this.timer);
  }

  /** Tasks the master has not answered about since the last subscribe. */
  get pending(): number {
    return this.unanswered.size;
  }

  stop(): void {
    clearTimeout(this.timer);
    this.unanswered.clear();
  }

  private async ask(): Promise<void> {
    if (this.unanswered.size === 0) return;
    await this.options.send([...this.unanswered.values()]);
    const wait = Math.min(
      (this.options.initialMs ?? 5_000) * 2 ** this.round++,
      this.options.maxMs ?? 60_000,
    );
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.ask(), wait);
    this.timer.unref();
  }
}
