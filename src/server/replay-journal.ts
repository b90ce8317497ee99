/**
 * The replay window on disk, so a restart does not reopen it: one JSON line per accepted
 * delivery, appended before the sender is answered. On start the lines still inside the
 * window are loaded and the file is rewritten with only those (temp file and rename), and
 * it is rewritten again whenever expired lines outnumber live ones, so the file stays
 * within about twice the window's capacity. A line that does not parse (a write cut short
 * by a crash) is skipped and counted.
 */
import { mkdir, open } from 'node:fs/promises';
import { dirname } from 'node:path';
import { readTextIfExists, writeFileDurably } from '../util/durable-file.js';
import type { Delivery, ReplayWindow } from './replay-window.js';

const FORMAT_VERSION = 1;
/** Compaction is not worth a rewrite below this many lines. */
const MIN_COMPACT_LINES = 1000;

export interface JournalLoad {
  loaded: number;
  skipped: number;
}

export class ReplayJournal {
  private lines = 0;
  /** Appends and rewrites run one at a time, in order. */
  private queue: Promise<void> = Promise.resolve();

  private constructor(
    readonly path: string,
    private readonly window: ReplayWindow,
  ) {}

  /** Loads what the file remembers into `window` and compacts the file. */
  static async open(path: string, window: ReplayWindow): Promise<{ journal: ReplayJournal } & JournalLoad> {
    const journal = new ReplayJournal(path, window);
    await mkdir(dirname(path), { recursive: true });
    const text = (await readTextIfExists(path)) ?? '';
    let loaded = 0;
    let skipped = 0;
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue;
      const delivery = parseLine(line);
      if (delivery === undefined) skipped += 1;
      else if (window.restore(delivery)) loaded += 1;
    }
    await journal.rewrite();
    return { journal, loaded, skipped };
  }

  /** Durable before it resolves: the caller answers the sender after it. */
  record(delivery: Delivery): Promise<void> {
    return this.enqueue(async () => {
      await appendDurably(this.path, formatLine(delivery));
      this.lines += 1;
      if (this.lines >= MIN_COMPACT_LINES && this.lines > 2 * this.window.size) await this.rewrite();
    });
  }

  /** Waits for pending writes (on close). */
  flush(): Promise<void> {
    return this.enqueue(async () => {});
  }

  private async rewrite(): Promise<void> {
    const live = this.window.entries();
    await writeFileDurably(this.path, live.map(formatLine).join(''));
    this.lines = live.length;
  }

  private enqueue(step: () => Promise<void>): Promise<void> {
    const next = this.queue.then(step);
    this.queue = next.catch(() => {});
    return next;
  }
}

async function appendDurably(path: string, text: string): Promise<void> {
  const handle = await open(path, 'a');
  try {
    await handle.appendFile(text);
    await handle.datasync();
  } finally {
    await handle.close();
  }
}

function formatLine(delivery: Delivery): string {
  const { provider, id, digest, at } = delivery;
  return `${JSON.stringify({ format_version: FORMAT_VERSION, at: new Date(at).toISOString(), provider, id, digest })}\n`;
}

function parseLine(line: string): Delivery | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const { format_version: version, at, provider, id, digest } = value as Record<string, unknown>;
  const time = typeof at === 'string' ? Date.parse(at) : Number.NaN;
  if (version !== FORMAT_VERSION || !Number.isFinite(time)) return undefined;
  if (typeof provider !== 'string' || typeof id !== 'string' || typeof digest !== 'string') return undefined;
  return { provider, id, digest, at: time };
}
