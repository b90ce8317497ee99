/**
 * Runs at most one job per key at a time, and folds every request made while one runs into a
 * single follow-up. Reads of one sandbox therefore complete in order (an older read can never
 * overwrite a newer observation), and a burst of file events costs at most two reads.
 */
export class KeyedSerializer<T> {
  private readonly running = new Map<string, Promise<T>>();
  private readonly queued = new Map<string, Promise<T>>();

  run(key: string, job: () => Promise<T>): Promise<T> {
    const queued = this.queued.get(key);
    if (queued !== undefined) return queued;
    const current = this.running.get(key);
    if (current === undefined) return this.start(key, job);
    const next = current
      .catch(() => undefined)
      .then(() => {
        this.queued.delete(key);
        return this.start(key, job);
      });
    this.queued.set(key, next);
    return next;
  }

  private start(key: string, job: () => Promise<T>): Promise<T> {
    const promise = Promise.resolve().then(job);
    this.running.set(key, promise);
    const clear = (): void => {
      if (this.running.get(key) === promise) this.running.delete(key);
    };
    promise.then(clear, clear);
    return promise;
  }
}
