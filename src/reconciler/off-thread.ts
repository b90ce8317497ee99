/**
 * Job files loaded in a worker thread, for the daemon: parsing and validating a hostile
 * commit can take seconds of CPU and hundreds of megabytes, and on the daemon's own thread
 * that would stop its HTTP server (`/healthz`, webhooks), its timers and its healing. The
 * worker has a heap limit, and a load has a deadline: a worker that runs out of either is
 * ended, the file it was on gets a problem saying which budget it broke, and the commit is
 * rejected. The next load starts a new worker. The spec cache stays on the daemon's side,
 * so an unchanged file is still never sent at all.
 */
import { Worker } from 'node:worker_threads';
import type { FileContent } from '../jobspec/yaml.js';
import {
  LoadBudgetExceeded,
  type FileLoadRunner,
  type FileOutcome,
  type TemplateText,
} from '../jobspec/load.js';

export type ToWorker =
  | { kind: 'load'; call: number; load: number; path: string; text: FileContent }
  | { kind: 'template'; request: number; found: TemplateText | null };

export type FromWorker =
  | { kind: 'started'; call: number }
  | { kind: 'loaded'; call: number; outcome: FileOutcome }
  | { kind: 'failed'; call: number; message: string }
  | { kind: 'template'; call: number; request: number; path: string };

export interface LoadBudget {
  /** How long loading one commit may take, in ms. */
  timeMs: number;
  /** The worker's heap (V8's old generation), in MB. */
  memoryMb: number;
}

/** Many times what a large repository takes to load on a busy machine (docs/performance.md). */
export const DEFAULT_LOAD_TIME_MS = 60_000;
/** Several times a large repository's cold load in the worker (files are sent one at a time). */
export const DEFAULT_LOAD_MEMORY_MB = 1024;

export const DEFAULT_LOAD_BUDGET: LoadBudget = {
  timeMs: DEFAULT_LOAD_TIME_MS,
  memoryMb: DEFAULT_LOAD_MEMORY_MB,
};

interface Call {
  worker: Worker;
  path: string;
  resolve: (outcome: FileOutcome) => void;
  reject: (error: Error) => void;
  template: (path: string) => Promise<TemplateText | null>;
}

const WORKER = new URL('./load-worker.js', import.meta.url);

export class OffThreadLoader implements FileLoadRunner {
  private worker: Worker | undefined;
  private readonly calls = new Map<number, Call>();
  private nextCall = 0;
  /** The file the worker said it started last: the one a budget stopped. */
  private current: string | undefined;
  /** Which load (one commit) a call belongs to: the worker keeps one load's templates. */
  private load = 0;
  private lastDeadline = Number.NaN;

  constructor(private readonly budget: LoadBudget) {}

  get timeBudgetMs(): number {
    return this.budget.timeMs;
  }

  run(
    path: string,
    text: FileContent,
    template: (path: string) => Promise<TemplateText | null>,
    deadline: number,
  ): Promise<FileOutcome> {
    // A load's files share its deadline; a new deadline is a new load.
    if (deadline !== this.lastDeadline) this.load++;
    this.lastDeadline = deadline;
    const worker = this.started();
    const call = this.nextCall++;
    return new Promise<FileOutcome>((resolve, reject) => {
      const timer = setTimeout(
        () => this.stop(new LoadBudgetExceeded(this.tooLong(), this.current)),
        Math.max(0, deadline - performance.now()),
      );
      const settle = () => {
        clearTimeout(timer);
        this.calls.delete(call);
        if (this.calls.size === 0) worker.unref();
      };
      this.calls.set(call, {
        worker,
        path,
        resolve: (outcome) => (settle(), resolve(outcome)),
        reject: (error) => (settle(), reject(error)),
        template,
      });
      worker.ref();
      worker.postMessage({ kind: 'load', call, load: this.load, path, text } satisfies ToWorker);
    });
  }

  /** Ends the worker; a load in progress fails. */
  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    await worker?.terminate();
  }

  private started(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(WORKER, { resourceLimits: { maxOldGenerationSizeMb: this.budget.memoryMb } });
    worker.on('message', (message: FromWorker) => void this.answer(worker, message));
    worker.on('error', (error: Error & { code?: string }) =>
      this.stop(
        error.code === 'ERR_WORKER_OUT_OF_MEMORY'
          ? new LoadBudgetExceeded(
              `loading this commit needed more than ${this.budget.memoryMb} MB of memory (--load-memory); stopped at this file`,
              this.current,
            )
          : error,
        worker,
      ),
    );
    worker.on('exit', () => this.stop(new Error('the loading worker stopped'), worker));
    worker.unref();
    this.worker = worker;
    return worker;
  }

  private async answer(worker: Worker, message: FromWorker): Promise<void> {
    const call = this.calls.get(message.call);
    if (!call) return;
    if (message.kind === 'started') this.current = call.path;
    else if (message.kind === 'loaded') call.resolve(message.outcome);
    else if (message.kind === 'failed') call.reject(new Error(message.message));
    else {
      let found: TemplateText | null;
      try {
        found = await call.template(message.path);
      } catch (error) {
        return call.reject(error as Error);
      }
      worker.postMessage({ kind: 'template', request: message.request, found } satisfies ToWorker);
    }
  }

  private tooLong(): string {
    return `loading this commit took longer than ${this.budget.timeMs / 1000} s (--load-timeout); stopped at this file`;
  }

  /** Fails every call in progress and ends the worker (only the one given, when given). */
  private stop(error: Error, which = this.worker): void {
    if (!which) return;
    if (this.worker === which) this.worker = undefined;
    void which.terminate();
    for (const call of [...this.calls.values()]) if (call.worker === which) call.reject(error);
  }
}
