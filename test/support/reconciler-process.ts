/** `borealis watch` as a real process, with its log collected line by line. */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { withTimeout } from './waiting.js';

const BIN = fileURLToPath(new URL('../../../bin/borealis.js', import.meta.url));

export interface ReconcilerOptions {
  repo: string;
  /** A state directory or a zk:// URL. */
  state: string;
  /** Flags of `watch`; default `--no-http --resync 2`. */
  watchArgs?: string[];
  env?: Record<string, string>;
  /** Global flags before `watch`; default `--repo REPO --state STATE`. */
  globalArgs?: string[];
  /** The working directory; default a new temporary one. */
  cwd?: string;
}

export class ReconcilerProcess {
  readonly lines: string[] = [];
  private readonly child: ChildProcess;
  private readonly waiters: { pattern: RegExp; resolve: () => void }[] = [];
  readonly exited: Promise<void>;

  constructor(
    readonly name: string,
    options: ReconcilerOptions,
  ) {
    const cwd = options.cwd ?? mkdtempSync(join(tmpdir(), `borealis-${name}-`));
    const watchArgs = options.watchArgs ?? ['--no-http', '--resync', '2'];
    const globalArgs = options.globalArgs ?? ['--repo', options.repo, '--state', options.state];
    this.child = spawn(process.execPath, [BIN, ...globalArgs, 'watch', ...watchArgs], {
      cwd,
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    for (const stream of [this.child.stdout!, this.child.stderr!]) {
      createInterface({ input: stream }).on('line', (line) => this.onLine(line));
    }
    this.exited = new Promise((resolve) => this.child.once('exit', () => resolve()));
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** Resolves when a line matching `pattern` has been printed (already, or later). */
  waitFor(pattern: RegExp, ms: number): Promise<void> {
    if (this.lines.some((line) => pattern.test(line))) return Promise.resolve();
    const found = new Promise<void>((resolve) => this.waiters.push({ pattern, resolve }));
    return withTimeout(
      found,
      ms,
      () => `${this.name} to print ${pattern}; it printed:\n${this.lines.join('\n')}`,
    );
  }

  leads(): boolean {
    const changes = this.lines.filter((line) => /elected leader|not the leader|leadership lost/.test(line));
    return /elected leader/.test(changes.at(-1) ?? '');
  }

  kill(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }

  private onLine(line: string): void {
    this.lines.push(line);
    for (const waiter of [...this.waiters]) {
      if (!waiter.pattern.test(line)) continue;
      this.waiters.splice(this.waiters.indexOf(waiter), 1);
      waiter.resolve();
    }
  }
}

/** For failure messages: what each reconciler printed. */
export function logsOf(reconcilers: readonly ReconcilerProcess[]): string {
  return reconcilers.map((r) => `${r.name} printed:\n${r.lines.join('\n')}`).join('\n');
}
