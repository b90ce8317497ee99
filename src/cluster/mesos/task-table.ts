/**
 * The driver's tasks by id, and by job: a plan's placement check needs only the launching
 * jobs' tasks, and walking every task of a large cluster for them was most of a one-job commit's check.
 */
export class TaskTable<T extends { taskId: string; jobId: string }> {
  private readonly byId = new Map<string, T>();
  private readonly byJob = new Map<string, Set<T>>();

  get(taskId: string): T | undefined {
    return this.byId.get(taskId);
  }

  has(taskId: string): boolean {
    return this.byId.has(taskId);
  }

  set(task: T): void {
    this.delete(task.taskId);
    this.byId.set(task.taskId, task);
    const job = this.byJob.get(task.jobId);
    if (job) job.add(task);
    else this.byJob.set(task.jobId, new Set([task]));
  }

  delete(taskId: string): void {
    const task = this.byId.get(taskId);
    if (!task) return;
    this.byId.delete(taskId);
    const job = this.byJob.get(task.jobId);
    job?.delete(task);
    if (job?.size === 0) this.byJob.delete(task.jobId);
  }

  values(): IterableIterator<T> {
    return this.byId.values();
  }

  ofJob(jobId: string): ReadonlySet<T> {
    return this.byJob.get(jobId) ?? EMPTY;
  }
}

const EMPTY: ReadonlySet<never> = new Set();
