/**
 * Waiting for events with a deadline, so a broken implementation fails a test instead of
 * hanging it. The `ms` a caller passes is stretched by `deadlineMs` (time-scale.ts): a
 * deadline never decides whether correct code passes, however busy the machine.
 */
import type { Cluster, TaskState, TaskStatusUpdate } from '../../src/cluster/types.js';
import { deadlineMs } from './time-scale.js';

type Description = string | (() => string);

function describe(what: Description): string {
  return typeof what === 'string' ? what : what();
}

export async function withTimeout<T>(promise: Promise<T>, ms: number, what: Description): Promise<T> {
  const deadline = deadlineMs(ms);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(
      () => reject(new Error(`timed out after ${deadline} ms waiting for ${describe(what)}`)),
      deadline,
    );
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * For conditions no event announces (a process outside our control exiting): checks at a
 * short interval until true or the deadline passes.
 */
export async function eventually(
  check: () => boolean | Promise<boolean>,
  ms: number,
  what: Description,
  intervalMs = 20,
): Promise<void> {
  const allowed = deadlineMs(ms);
  const deadline = Date.now() + allowed;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${allowed} ms waiting for ${describe(what)}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

interface Waiter {
  matches: (update: TaskStatusUpdate) => boolean;
  resolve: (update: TaskStatusUpdate) => void;
}

/** Records every update a cluster emits and lets a test await a particular one. */
export class UpdateRecorder {
  readonly updates: TaskStatusUpdate[] = [];
  private readonly waiters = new Set<Waiter>();
  private readonly unsubscribe: () => void;

  constructor(cluster: Cluster) {
    this.unsubscribe = cluster.subscribe((update) => this.record(update));
  }

  /** The states a task went through, in the order they were reported. */
  states(taskId: string): TaskState[] {
    return this.forTask(taskId).map((update) => update.task.state);
  }

  /** For failure messages: each state with its reason and message. */
  history(taskId: string): string {
    const steps = this.forTask(taskId).map(({ task }) =>
      [task.state, task.reason, task.message].filter((part) => part !== undefined).join(' '),
    );
    return steps.join(' → ') || 'nothing';
  }

  forTask(taskId: string): TaskStatusUpdate[] {
    return this.updates.filter((update) => update.task.taskId === taskId);
  }

  /** Resolves with the first update (past or future) of `taskId` in `state`. */
  waitFor(taskId: string, state: TaskState, ms = 5000): Promise<TaskStatusUpdate> {
    return this.waitForUpdate(
      (update) => update.task.taskId === taskId && update.task.state === state,
      ms,
      () => `${taskId} to be ${state} (seen: ${this.history(taskId)})`,
    );
  }

  waitForUpdate(
    matches: (update: TaskStatusUpdate) => boolean,
    ms: number,
    what: Description,
  ): Promise<TaskStatusUpdate> {
    const past = this.updates.find(matches);
    if (past !== undefined) return Promise.resolve(past);
    let waiter: Waiter | undefined;
    const promise = new Promise<TaskStatusUpdate>((resolve) => {
      waiter = { matches, resolve };
      this.waiters.add(waiter);
    });
    return withTimeout(promise, ms, what).finally(() => {
      if (waiter !== undefined) this.waiters.delete(waiter);
    });
  }

  stop(): void {
    this.unsubscribe();
  }

  private record(update: TaskStatusUpdate): void {
    this.updates.push(update);
    for (const waiter of [...this.waiters]) {
      if (waiter.matches(update)) {
        this.waiters.delete(waiter);
        waiter.resolve(update);
      }
    }
  }
}
