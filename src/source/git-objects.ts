/**
 * One long-lived `git cat-file --batch` process that answers object requests in order.
 * Reading a large commit's job files this way costs one process, where one `git show` per
 * file would cost a process each. It sees refs and objects written after it started, so a
 * daemon keeps one for its whole life: spawning git from a process holding a large
 * cluster's tasks is slow.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import type { Socket } from 'node:net';

export interface GitObject {
  id: string;
  type: 'blob' | 'tree' | 'commit' | 'tag';
  content: Buffer;
}

/** An object read under a budget: its content only when it fit. */
export interface BoundedObject {
  id: string;
  type: GitObject['type'];
  size: number;
  content: Buffer | null;
}

/** Bytes a batch of reads may hold: each object at most `maxEach`, all together at most `remaining`. */
export interface ReadBudget {
  maxEach: number;
  remaining: number;
}

interface PendingRequest {
  spec: string;
  budget?: ReadBudget;
  resolve: (object: BoundedObject | null) => void;
  reject: (error: Error) => void;
}

/** The content of the object being received, kept as chunks until it is whole. */
interface Receiving {
  request: PendingRequest;
  id: string;
  type: GitObject['type'];
  size: number;
  /** Bytes still to come, the newline after the content included. */
  missing: number;
  /** Null when the object is over budget: its bytes are dropped as they arrive. */
  chunks: Buffer[] | null;
}

export class GitObjectReader {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly pending: PendingRequest[] = [];
  private buffer: Buffer = Buffer.alloc(0);
  private receiving: Receiving | null = null;
  private failure: Error | null = null;

  constructor(readonly gitDir: string) {
    // Replace refs would let a pushed refs/replace/* swap the objects deployed for ones
    // other than those whose signature was checked; read the objects themselves.
    this.child = spawn('git', ['cat-file', '--batch'], {
      cwd: gitDir,
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, GIT_NO_REPLACE_OBJECTS: '1' },
    });
    let stderr = '';
    this.child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    this.child.stdout.on('data', (chunk: Buffer) => this.onData(chunk));
    this.child.on('error', (error) => this.fail(error));
    this.child.on('close', (code) => this.fail(new Error(`git cat-file exited (${code}): ${stderr.trim()}`)));
    this.child.stdin.on('error', (error) => this.fail(error));
    this.setHeld(false);
  }

  /** Whether the git process has gone (a reader that failed answers nothing more). */
  get broken(): boolean {
    return this.failure !== null;
  }

  /** Reads one object by any revision expression git accepts (`<sha>`, `HEAD^{tree}`, `<ref>:<path>`). */
  async read(spec: string): Promise<GitObject | null> {
    const object = await this.request(spec);
    return object && { id: object.id, type: object.type, content: object.content! };
  }

  /** Requests are pipelined: every request is written before any answer is awaited. */
  readMany(specs: readonly string[]): Promise<(GitObject | null)[]> {
    return Promise.all(specs.map((spec) => this.read(spec)));
  }

  /**
   * Objects read in order while they fit the budget; one that does not fit is not held:
   * its bytes are dropped as git sends them, and only its size is answered.
   */
  readWithin(specs: readonly string[], budget: ReadBudget): Promise<(BoundedObject | null)[]> {
    return Promise.all(specs.map((spec) => this.request(spec, budget)));
  }

  private request(spec: string, budget?: ReadBudget): Promise<BoundedObject | null> {
    if (this.failure) return Promise.reject(this.failure);
    if (/[\n\r]/.test(spec)) return Promise.reject(new Error(`invalid object name ${JSON.stringify(spec)}`));
    return new Promise((resolve, reject) => {
      if (this.pending.length === 0) this.setHeld(true);
      this.pending.push({ spec, budget, resolve, reject });
      this.child.stdin.write(`${spec}\n`);
    });
  }

  async close(): Promise<void> {
    if (this.child.exitCode !== null || this.failure) return;
    const closed = new Promise<void>((resolve) => this.child.once('close', () => resolve()));
    this.setHeld(true); // an awaited close must keep Node running until git has exited
    this.child.stdin.end();
    await closed;
  }

  private onData(chunk: Buffer): void {
    const rest = this.receive(chunk);
    if (rest.length > 0) this.buffer = this.buffer.length === 0 ? rest : Buffer.concat([this.buffer, rest]);
    while (this.pending.length > 0 && this.receiving === null && this.takeOne()) {
      // each iteration answers one request
    }
    if (this.pending.length === 0) this.setHeld(false);
  }

  /**
   * Feeds a chunk to the object being received; returns what follows it. A large object
   * arrives in many chunks, and joining each one onto the last would copy it over and over.
   */
  private receive(chunk: Buffer): Buffer {
    const receiving = this.receiving;
    if (!receiving) return chunk;
    const taken = Math.min(receiving.missing, chunk.length);
    receiving.chunks?.push(chunk.subarray(0, taken));
    receiving.missing -= taken;
    if (receiving.missing > 0) return Buffer.alloc(0);
    this.receiving = null;
    this.pending.shift();
    const content = receiving.chunks && Buffer.concat(receiving.chunks).subarray(0, receiving.size);
    const { id, type, size } = receiving;
    receiving.request.resolve({ id, type, size, content });
    return chunk.subarray(taken);
  }

  /**
   * An idle reader does not keep Node running: a command that forgot to close one still
   * exits. While a request waits for its answer, the process is held open for it.
   */
  private setHeld(held: boolean): void {
    // The pipes are sockets; their stream types do not say so.
    const pipes = [this.child.stdin, this.child.stdout, this.child.stderr] as unknown as Socket[];
    for (const handle of [this.child, ...pipes])
      if (held) handle.ref();
      else handle.unref();
  }

  /** Answers the oldest request if its whole response has arrived; returns whether it did. */
  private takeOne(): boolean {
    const newline = this.buffer.indexOf(0x0a);
    if (newline < 0) return false;
    const header = this.buffer.subarray(0, newline).toString('utf8');
    const request = this.pending[0]!;
    if (header.endsWith(' missing') || header.endsWith(' ambiguous')) {
      this.buffer = this.buffer.subarray(newline + 1);
      this.pending.shift();
      request.resolve(null);
      return true;
    }
    const [id, type, sizeText] = header.split(' ');
    const size = Number(sizeText);
    if (!id || !type || !Number.isInteger(size)) {
      this.fail(new Error(`unexpected git cat-file header: ${header}`));
      return false;
    }
    const budget = request.budget;
    const fits = !budget || (size <= budget.maxEach && size <= budget.remaining);
    if (budget && fits) budget.remaining -= size;
    const rest = this.buffer.subarray(newline + 1);
    this.buffer = Buffer.alloc(0);
    const kind = type as GitObject['type'];
    this.receiving = { request, id, type: kind, size, missing: size + 1, chunks: fits ? [] : null };
    this.buffer = this.receive(rest);
    return this.receiving === null;
  }

  private fail(error: Error): void {
    if (this.failure) return;
    this.failure = error;
    for (const request of this.pending.splice(0)) request.reject(error);
  }
}

export interface TreeItem {
  mode: string;
  name: string;
  id: string;
}

/** Parses a binary tree object: repeated `<mode> <name>\0<raw object id>`. */
export function parseTree(content: Buffer, idLength: number): TreeItem[] {
  const items: TreeItem[] = [];
  let offset = 0;
  while (offset < content.length) {
    const space = content.indexOf(0x20, offset);
    const nul = content.indexOf(0x00, space);
    const idEnd = nul + 1 + idLength;
    if (space < 0 || nul < 0 || idEnd > content.length) throw new Error('malformed git tree object');
    items.push({
      mode: content.subarray(offset, space).toString('latin1'),
      name: content.subarray(space + 1, nul).toString('utf8'),
      id: content.subarray(nul + 1, idEnd).toString('hex'),
    });
    offset = idEnd;
  }
  return items;
}
