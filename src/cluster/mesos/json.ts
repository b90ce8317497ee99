/**
 * Lossless JSON for Mesos. Mesos writes JSON with stout/rapidjson, which differs from what
 * `JSON.parse` / `JSON.stringify` handle (see shared/reference/mesos/NOTES.md §2):
 *
 * - 64-bit integers are bare numbers (`TimeInfo.nanoseconds` such as 1470820172046531840,
 *   `Resource` byte counts, versions). `JSON.parse` rounds them to the nearest double.
 *   Here an integer literal that is not a safe integer becomes a `bigint`, exactly.
 * - Non-finite doubles are written bare (`kWriteNanAndInfFlag`): `Infinity`, `-Infinity`, `NaN`
 *   (e.g. `limits.cpus` when unlimited), which `JSON.parse` rejects. Here they are accepted
 *   in value position only. The parser is a single-pass tokenizer, so string contents are
 *   never rewritten: a string that says "Infinity" or holds 20 digits stays a string.
 *
 * Why `bigint` rather than a branded string: a bigint is exact, compares and computes
 * (`ns / 1_000_000n`), and is distinguishable at runtime (`typeof v === 'bigint'`), so
 * `stringifyMesosJson` knows to write it back as a bare integer without a schema. A branded
 * string is a plain string at runtime: the writer could not tell it from a real string
 * field (`"version": "1.1.0"`) and would have to quote it or guess. Integers that fit in a
 * double exactly stay `number`, so ports, counts and other small fields keep their ordinary
 * type; a 64-bit field must be read as `number | bigint` (see `MesosInt`).
 */

/** What `parseMesosJson` produces. Integer fields of 64-bit type are `number | bigint`. */
export type MesosJsonValue =
  null | boolean | number | bigint | string | MesosJsonValue[] | { [key: string]: MesosJsonValue };

/** A Mesos int64/uint64 field as parsed: `bigint` exactly when it is beyond ±(2^53 - 1). */
export type MesosInt = number | bigint;

/** A syntax error with the offending position (UTF-16 index into the text, 0-based). */
export class MesosJsonError extends SyntaxError {
  readonly line: number;
  readonly column: number;

  constructor(
    what: string,
    readonly position: number,
    text: string,
  ) {
    const { line, column } = lineAndColumn(text, position);
    super(`Invalid Mesos JSON: ${what} at position ${position} (line ${line}, column ${column})`);
    this.name = 'MesosJsonError';
    this.line = line;
    this.column = column;
  }
}

function lineAndColumn(text: string, position: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  const end = Math.min(position, text.length);
  for (let i = 0; i < end; i++) {
    if (text.charCodeAt(i) === 0x0a) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: position - lineStart + 1 };
}

/** Real JSON is never this deep; the limit turns a hostile input into an error, not a stack overflow. */
const MAX_DEPTH = 512;

/**
 * Parses Mesos JSON. Same results as `JSON.parse` for standard JSON, except that integers
 * beyond the safe range are `bigint`s, and bare `Infinity`, `-Infinity` and `NaN` values are
 * accepted. Throws `MesosJsonError` with the position of the first error.
 */
export function parseMesosJson(text: string): unknown {
  return new Parser(text).parseDocument();
}

// Character codes, compared against charCodeAt() results.
const TAB = 0x09;
const LF = 0x0a;
const CR = 0x0d;
const SPACE = 0x20;
const QUOTE = 0x22;
const PLUS = 0x2b;
const COMMA = 0x2c;
const MINUS = 0x2d;
const DOT = 0x2e;
const SLASH = 0x2f;
const ZERO = 0x30;
const NINE = 0x39;
const COLON = 0x3a;
const UPPER_E = 0x45;
const UPPER_I = 0x49;
const UPPER_N = 0x4e;
const OPEN_BRACKET = 0x5b;
const BACKSLASH = 0x5c;
const CLOSE_BRACKET = 0x5d;
const LOWER_E = 0x65;
const LOWER_F = 0x66;
const LOWER_N = 0x6e;
const LOWER_T = 0x74;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;

class Parser {
  private pos = 0;

  constructor(private readonly text: string) {}

  parseDocument(): unknown {
    const value = this.parseValue(0);
    this.skipWhitespace();
    if (this.pos < this.text.length) this.unexpected();
    return value;
  }

  private parseValue(depth: number): unknown {
    this.skipWhitespace();
    const c = this.text.charCodeAt(this.pos);
    switch (c) {
      case OPEN_BRACE:
        return this.parseObject(depth + 1);
      case OPEN_BRACKET:
        return this.parseArray(depth + 1);
      case QUOTE:
        return this.parseString();
      case LOWER_T:
        return this.literal('true', true);
      case LOWER_F:
        return this.literal('false', false);
      case LOWER_N:
        return this.literal('null', null);
      case UPPER_N:
        return this.literal('NaN', NaN);
      case UPPER_I:
        return this.literal('Infinity', Infinity);
      case MINUS:
        if (this.text.charCodeAt(this.pos + 1) === UPPER_I) return this.literal('-Infinity', -Infinity);
        return this.parseNumber();
      default:
        if (c >= ZERO && c <= NINE) return this.parseNumber();
        return this.unexpected();
    }
  }

  private parseObject(depth: number): Record<string, unknown> {
    if (depth > MAX_DEPTH) this.fail(`nesting deeper than ${MAX_DEPTH}`);
    this.pos++; // '{'
    const object: Record<string, unknown> = {};
    this.skipWhitespace();
    if (this.text.charCodeAt(this.pos) === CLOSE_BRACE) {
      this.pos++;
      return object;
    }
    for (;;) {
      this.skipWhitespace();
      if (this.text.charCodeAt(this.pos) !== QUOTE) this.unexpected('a string key');
      const key = this.parseString();
      this.skipWhitespace();
      if (this.text.charCodeAt(this.pos) !== COLON) this.unexpected("':'");
      this.pos++;
      const value = this.parseValue(depth);
      if (key === '__proto__') {
        // Plain assignment would set the prototype; JSON.parse makes it an own property.
        Object.defineProperty(object, key, { value, writable: true, enumerable: true, configurable: true });
      } else {
        object[key] = value;
      }
      this.skipWhitespace();
      const c = this.text.charCodeAt(this.pos);
      if (c === COMMA) {
        this.pos++;
      } else if (c === CLOSE_BRACE) {
        this.pos++;
        return object;
      } else {
        this.unexpected("',' or '}'");
      }
    }
  }

  private parseArray(depth: number): unknown[] {
    if (depth > MAX_DEPTH) this.fail(`nesting deeper than ${MAX_DEPTH}`);
    this.pos++; // '['
    const array: unknown[] = [];
    this.skipWhitespace();
    if (this.text.charCodeAt(this.pos) === CLOSE_BRACKET) {
      this.pos++;
      return array;
    }
    for (;;) {
      array.push(this.parseValue(depth));
      this.skipWhitespace();
      const c = this.text.charCodeAt(this.pos);
      if (c === COMMA) {
        this.pos++;
      } else if (c === CLOSE_BRACKET) {
        this.pos++;
        return array;
      } else {
        this.unexpected("',' or ']'");
      }
    }
  }

  /** At an opening quote. Escape-free strings (the common case) are a single slice. */
  private parseString(): string {
    const text = this.text;
    const start = ++this.pos;
    let i = start;
    let out = '';
    let segmentStart = start;
    for (;;) {
      if (i >= text.length) {
        this.pos = i;
        this.fail('unterminated string');
      }
      const c = text.charCodeAt(i);
      if (c === QUOTE) {
        this.pos = i + 1;
        return segmentStart === start ? text.slice(start, i) : out + text.slice(segmentStart, i);
      }
      if (c === BACKSLASH) {
        out += text.slice(segmentStart, i);
        out += this.parseEscape(i);
        i = this.pos;
        segmentStart = i;
        continue;
      }
      if (c < SPACE) {
        this.pos = i;
        this.fail(`unescaped control character U+${c.toString(16).padStart(4, '0')} in string`);
      }
      i++;
    }
  }

  /** At a backslash; leaves `pos` after the escape and returns the character(s) it stands for. */
  private parseEscape(at: number): string {
    const c = this.text.charCodeAt(at + 1);
    this.pos = at + 2;
    switch (c) {
      case QUOTE:
        return '"';
      case BACKSLASH:
        return '\\';
      case SLASH:
        return '/';
      case 0x62: // b
        return '\b';
      case 0x66: // f
        return '\f';
      case 0x6e: // n
        return '\n';
      case 0x72: // r
        return '\r';
      case 0x74: // t
        return '\t';
      case 0x75: {
        // u: exactly four hex digits. A lone surrogate is kept as is, as JSON.parse does.
        let code = 0;
        for (let k = 0; k < 4; k++) {
          const h = hexValue(this.text.charCodeAt(at + 2 + k));
          if (h < 0) {
            this.pos = at + 2 + k;
            this.fail('invalid \\u escape (expected 4 hex digits)');
          }
          code = code * 16 + h;
        }
        this.pos = at + 6;
        return String.fromCharCode(code);
      }
      default:
        this.pos = at; // point at the backslash that starts the bad escape
        return this.fail(Number.isNaN(c) ? 'unterminated string' : 'invalid escape in string');
    }
  }

  /** JSON number grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
  private parseNumber(): number | bigint {
    const text = this.text;
    const start = this.pos;
    let i = start;
    if (text.charCodeAt(i) === MINUS) i++;
    const first = text.charCodeAt(i);
    if (first === ZERO) {
      i++;
    } else if (first > ZERO && first <= NINE) {
      i = this.skipDigits(i);
    } else {
      this.pos = i;
      this.unexpected('a digit');
    }
    let integer = true;
    if (text.charCodeAt(i) === DOT) {
      integer = false;
      i = this.requireDigits(i + 1, 'a digit after the decimal point');
    }
    const e = text.charCodeAt(i);
    if (e === LOWER_E || e === UPPER_E) {
      integer = false;
      i++;
      const sign = text.charCodeAt(i);
      if (sign === PLUS || sign === MINUS) i++;
      i = this.requireDigits(i, 'a digit in the exponent');
    }
    this.pos = i;
    const literal = text.slice(start, i);
    const value = Number(literal);
    // Only integer literals can be int64/uint64 fields; doubles keep double semantics.
    if (integer && !Number.isSafeInteger(value)) return BigInt(literal);
    return value;
  }

  private skipDigits(i: number): number {
    const text = this.text;
    for (;;) {
      const c = text.charCodeAt(i);
      if (c < ZERO || c > NINE || Number.isNaN(c)) return i;
      i++;
    }
  }

  private requireDigits(i: number, expected: string): number {
    const end = this.skipDigits(i);
    if (end === i) {
      this.pos = i;
      this.unexpected(expected);
    }
    return end;
  }

  private literal<T>(word: string, value: T): T {
    if (!this.text.startsWith(word, this.pos)) this.unexpected();
    this.pos += word.length;
    return value;
  }

  private skipWhitespace(): void {
    const text = this.text;
    let i = this.pos;
    for (;;) {
      const c = text.charCodeAt(i);
      if (c !== SPACE && c !== LF && c !== CR && c !== TAB) break;
      i++;
    }
    this.pos = i;
  }

  private unexpected(expected?: string): never {
    const c = this.text.codePointAt(this.pos);
    const found = c === undefined ? 'end of input' : `character ${JSON.stringify(String.fromCodePoint(c))}`;
    return this.fail(expected === undefined ? `unexpected ${found}` : `expected ${expected}, found ${found}`);
  }

  private fail(what: string): never {
    throw new MesosJsonError(what, this.pos, this.text);
  }
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  return -1;
}

export interface StringifyMesosJsonOptions {
  /**
   * How to write Infinity, -Infinity and NaN, which JSON cannot express:
   * - `'string'` (default): `"Infinity"`, `"-Infinity"`, `"NaN"`. Valid JSON, and what stout
   *   accepts for double fields on input (`ACCEPT` with `limits.cpus` = `"Infinity"`).
   * - `'bare'`: `Infinity`, `-Infinity`, `NaN`, exactly as Mesos itself writes its output (for
   *   a faithful test double). Not valid JSON; `parseMesosJson` reads it back.
   * - `'error'`: throw a `TypeError`.
   * (`JSON.stringify`'s `null` is never produced: it silently loses the value.)
   */
  nonFinite?: 'string' | 'bare' | 'error';
}

/**
 * Compact JSON like `JSON.stringify`, with `bigint`s written as plain integers and
 * non-finite numbers written per `options.nonFinite`. Honours `toJSON`, drops `undefined`,
 * functions and symbols from objects (and writes them as `null` in arrays), and throws a
 * `TypeError` on circular structures.
 */
export function stringifyMesosJson(value: unknown, options: StringifyMesosJsonOptions = {}): string {
  const nonFinite = options.nonFinite ?? 'string';
  const ancestors = new Set<object>();

  const write = (key: string, input: unknown): string | undefined => {
    let v = input;
    if (typeof v === 'object' && v !== null && typeof (v as { toJSON?: unknown }).toJSON === 'function') {
      v = (v as { toJSON: (key: string) => unknown }).toJSON(key);
    }
    switch (typeof v) {
      case 'string':
        return JSON.stringify(v);
      case 'number':
        if (Number.isFinite(v)) return JSON.stringify(v);
        if (nonFinite === 'error') throw new TypeError(`cannot write ${v} as Mesos JSON (at key "${key}")`);
        return nonFinite === 'bare' ? String(v) : `"${v}"`;
      case 'bigint':
        return v.toString();
      case 'boolean':
        return v ? 'true' : 'false';
      case 'undefined':
      case 'function':
      case 'symbol':
        return undefined;
      case 'object':
        break;
    }
    if (v === null) return 'null';
    if (ancestors.has(v)) throw new TypeError('cannot write a circular structure as Mesos JSON');
    ancestors.add(v);
    let out: string;
    if (Array.isArray(v)) {
      const items = v as unknown[];
      out = '[';
      for (let i = 0; i < items.length; i++) {
        if (i > 0) out += ',';
        out += write(String(i), items[i]) ?? 'null';
      }
      out += ']';
    } else if (v instanceof Number || v instanceof String || v instanceof Boolean) {
      // Boxed primitives behave like their values, as in JSON.stringify.
      out = write(key, v.valueOf()) ?? 'null';
    } else {
      out = '{';
      let first = true;
      for (const k of Object.keys(v)) {
        const item = write(k, (v as Record<string, unknown>)[k]);
        if (item === undefined) continue;
        if (!first) out += ',';
        first = false;
        out += JSON.stringify(k) + ':' + item;
      }
      out += '}';
    }
    ancestors.delete(v);
    return out;
  };

  const out = write('', value);
  if (out === undefined) throw new TypeError(`cannot write ${typeof value} as Mesos JSON`);
  return out;
}
