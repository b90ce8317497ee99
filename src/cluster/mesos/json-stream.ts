/**
 * The elements of chosen arrays of one JSON document, each as its own JSON text, read from
 * a stream as it arrives. A large cluster's master answers GET_TASKS with a very large
 * document; splitting it element by element lets each task be read and reduced at once,
 * so the whole answer is never held, as text or as a tree.
 *
 * A byte-level scanner: it follows strings (and their escapes), depth and, on the way down
 * to the arrays wanted, the keys; everything inside an element is only counted. The
 * elements of a wanted array must be objects or arrays, as Mesos's task lists are.
 */

export interface Element {
  /** The wanted array's path, joined with dots: `get_tasks.tasks`. */
  array: string;
  text: string;
  /**
   * JSON.parse reads it exactly: no integer of 16 digits or more (which may exceed 2^53)
   * and no bare `Infinity` or `NaN` (Mesos writes them; JSON does not allow them).
   */
  exact: boolean;
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
const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;
const CAPITAL_I = 0x49;
const CAPITAL_N = 0x4e;

export class ArraySplitter {
  private readonly stack: Frame[] = [];
  private inString = false;
  private escaped = false;
  /** The key being read, when keys are followed at this depth. */
  private keyBytes: number[] | undefined;
  /** Depth of the element being collected (its frame's index), and its bytes so far. */
  private elementDepth = -1;
  private elementArray = '';
  /** Brackets open inside the element being collected, its own included. */
  private innerDepth = 0;
  /** Digits in a row outside strings, and whether the element needs the lossless parser. */
  private digits = 0;
  private inexact = false;
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
    let i = 0;
    while (i < chunk.length) {
      if (this.elementDepth >= 0) i = this.scanElement(chunk, i);
      else this.readOutside(chunk, i++);
    }
    if (this.elementDepth >= 0) this.pieces.push(chunk.subarray(this.elementStart));
  }

  /** One byte on the way down to (or between) the wanted arrays' elements, where keys matter. */
  private readOutside(chunk: Uint8Array, i: number): void {
    const byte = chunk[i]!;
    if (this.inString) return this.readString(byte);
    if (byte === QUOTE) {
      this.inString = true;
      if (this.expectsKey()) this.keyBytes = [];
    } else if (byte === OPEN_BRACE || byte === OPEN_BRACKET) this.open(byte, i);
    else if (byte === CLOSE_BRACE || byte === CLOSE_BRACKET) this.stack.pop();
    else if (byte === COMMA && this.top()?.kind === 'object' && this.stack.length <= this.maxDepth)
      this.top()!.key = undefined;
  }

  /**
   * Inside an element only brackets outside strings count, so strings are skipped with
   * `indexOf` (native, and most of a task's bytes); returns where the element ended, or the
   * chunk's end.
   */
  private scanElement(chunk: Uint8Array, from: number): number {
    let i = this.inString ? this.skipString(chunk, from) : from;
    let depth = this.innerDepth;
    let digits = this.digits;
    while (i < chunk.length) {
      const byte = chunk[i]!;
      if (byte >= DIGIT_0 && byte <= DIGIT_9) {
        if (++digits === 16) this.inexact = true;
        i++;
        continue;
      }
      digits = 0;
      if (byte === QUOTE) {
        this.inString = true;
        i = this.skipString(chunk, i + 1);
        continue;
      }
      // Outside strings JSON has only true, false and null: a capital starts Infinity or NaN.
      if (byte === CAPITAL_I || byte === CAPITAL_N) this.inexact = true;
      else if (byte === OPEN_BRACE || byte === OPEN_BRACKET) depth++;
      else if ((byte === CLOSE_BRACE || byte === CLOSE_BRACKET) && --depth === 0) {
        this.endElement(chunk, i);
        return i + 1;
      }
      i++;
    }
    this.innerDepth = depth;
    this.digits = digits;
    return i;
  }

  /** From inside a string to just after its closing quote, or to the chunk's end (still inside). */
  private skipString(chunk: Uint8Array, from: number): number {
    let start = from;
    if (this.escaped) {
      this.escaped = false;
      start++;
    }
    for (;;) {
      const quote = chunk.indexOf(QUOTE, start);
      if (quote < 0) {
        this.escaped = backslashesBefore(chunk, chunk.length, start) % 2 === 1;
        return chunk.length;
      }
      if (backslashesBefore(chunk, quote, start) % 2 === 0) {
        this.inString = false;
        return quote + 1;
      }
      start = quote + 1;
    }
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
    return top?.kind === 'object' && top.key === undefined && this.stack.length <= this.maxDepth;
  }

  private open(byte: number, at: number): void {
    const parent = this.top();
    if (parent?.kind === 'array' && this.wanted.has(parent.path)) {
      this.elementDepth = this.stack.length;
      this.elementArray = parent.path;
      this.innerDepth = 1;
      this.pieces = [];
      this.elementStart = at;
      return;
    }
    const path =
      parent === undefined
        ? ''
        : parent.kind === 'object'
          ? join(parent.path, parent.key ?? '')
          : parent.path;
    this.stack.push({ kind: byte === OPEN_BRACE ? 'object' : 'array', path });
  }

  private endElement(chunk: Uint8Array, at: number): void {
    this.pieces.push(chunk.subarray(this.elementStart, at + 1));
    const text =
      this.pieces.length === 1
        ? Buffer.from(this.pieces[0]!.buffer, this.pieces[0]!.byteOffset, this.pieces[0]!.length).toString(
            'utf8',
          )
        : Buffer.concat(this.pieces).toString('utf8');
    this.emit({ array: this.elementArray, text, exact: !this.inexact });
    this.elementDepth = -1;
    this.innerDepth = 0;
    this.digits = 0;
    this.inexact = false;
    this.pieces = [];
  }

  private top(): Frame | undefined {
    return this.stack[this.stack.length - 1];
  }
}

/** How many backslashes stand right before `at`, counting back no further than `floor`. */
function backslashesBefore(chunk: Uint8Array, at: number, floor: number): number {
  let count = 0;
  while (at - count - 1 >= floor && chunk[at - count - 1] === BACKSLASH) count++;
  return count;
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
