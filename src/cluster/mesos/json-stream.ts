/**
 * The elements of chosen arrays of one JSON document, each as its own JSON text, read from
 * a stream as it arrives. A master with 100,000 tasks answers GET_TASKS with some 160 MB;
 * splitting it element by element lets each task be read and reduced at once, so the whole
 * answer is never held, as text or as a tree.
 *
 * A byte-level scanner: it follows strings (and their escapes), depth and, on the way down
 * to the arrays wanted, the keys; everything inside an element is only counted. The
 * elements of a wanted array must be objects or arrays, as Mesos's task lists are.
 */

export interface Element {
  /** The wanted array's path, joined with dots: `get_tasks.tasks`. */
  array: string;
  text: string;
}

interface Frame {
  kind: 'object' | 'array';
  path: string;
  /** For an object on the way down: the key of the member being read. */
  key?: string;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;

export class ArraySplitter {
  private readonly stack: Frame[] = [];
  private inString = false;
  private escaped = false;
  /** The key being read, when keys are followed at this depth. */
  private keyBytes: number[] | undefined;
  /** Depth of the element being collected (its frame's index), and its bytes so far. */
  private elementDepth = -1;
  private elementArray = '';
  private pieces: Uint8Array[] = [];
  private elementStart = 0;
  private readonly maxDepth: number;

  constructor(
    private readonly wanted: ReadonlySet<string>,
    private readonly emit: (element: Element) => void,
  ) {
    this.maxDepth = Math.max(...[...wanted].map((path) => path.split('.').length));
  }

  feed(chunk: Uint8Array): void {
    this.elementStart = 0;
    for (let i = 0; i < chunk.length; i++) {
      const byte = chunk[i]!;
      if (this.inString) {
        this.readString(byte);
        continue;
      }
      if (byte === QUOTE) {
        this.inString = true;
        if (this.expectsKey()) this.keyBytes = [];
      } else if (byte === OPEN_BRACE || byte === OPEN_BRACKET) this.open(byte, i);
      else if (byte === CLOSE_BRACE || byte === CLOSE_BRACKET) this.close(chunk, i);
      else if (byte === COMMA && this.top()?.kind === 'object' && this.stack.length <= this.maxDepth)
        this.top()!.key = undefined;
    }
    if (this.elementDepth >= 0) this.pieces.push(chunk.subarray(this.elementStart));
  }

  private readString(byte: number): void {
    if (this.escaped) this.escaped = false;
    else if (byte === BACKSLASH) this.escaped = true;
    else if (byte === QUOTE) {
      this.inString = false;
      if (this.keyBytes) {
        this.top()!.key = Buffer.from(this.keyBytes).toString('utf8');
        this.keyBytes = undefined;
      }
      return;
    }
    this.keyBytes?.push(byte);
  }

  /** Keys matter only on the way down to the wanted arrays, never inside an element. */
  private expectsKey(): boolean {
    const top = this.top();
    return (
      this.elementDepth < 0 &&
      top?.kind === 'object' &&
      top.key === undefined &&
      this.stack.length <= this.maxDepth
    );
  }

  private open(byte: number, at: number): void {
    const parent = this.top();
    const path =
      parent === undefined
        ? ''
        : parent.kind === 'object'
          ? join(parent.path, parent.key ?? '')
          : parent.path;
    if (this.elementDepth < 0 && parent?.kind === 'array' && this.wanted.has(parent.path)) {
      this.elementDepth = this.stack.length;
      this.elementArray = parent.path;
      this.pieces = [];
      this.elementStart = at;
    }
    this.stack.push({ kind: byte === OPEN_BRACE ? 'object' : 'array', path });
  }

  private close(chunk: Uint8Array, at: number): void {
    this.stack.pop();
    if (this.stack.length !== this.elementDepth) return;
    this.pieces.push(chunk.subarray(this.elementStart, at + 1));
    this.emit({ array: this.elementArray, text: Buffer.concat(this.pieces).toString('utf8') });
    this.elementDepth = -1;
    this.pieces = [];
  }

  private top(): Frame | undefined {
    return this.stack[this.stack.length - 1];
  }
}

function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

/** Every element of the `wanted` arrays of the document `source` streams, in order. */
export async function* arrayElements(
  source: AsyncIterable<Uint8Array>,
  wanted: readonly string[],
): AsyncGenerator<Element> {
  const ready: Element[] = [];
  const splitter = new ArraySplitter(new Set(wanted), (element) => ready.push(element));
  for await (const chunk of source) {
    splitter.feed(chunk);
    yield* ready.splice(0);
  }
}
