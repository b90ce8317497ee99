/**
 * YAML parsing that keeps source positions, so every problem can name FILE:LINE:COL.
 * A file may hold several documents (one job each); empty documents are skipped.
 */
import type * as Yaml from 'yaml';
import type { Document, LineCounter, Node } from 'yaml';
import { lazily } from '../util/lazy-require.js';
import { decodeUtf8 } from '../util/utf8.js';
import { fastValues } from './fast-yaml.js';
import { MAX_DOCUMENT_VALUES, MAX_FILE_TOKENS } from './limits.js';
import type { Problem } from './types.js';

/** Only a file the fast reader declines, or a problem's position, needs the full parser. */
const yaml = lazily<typeof Yaml>('yaml');

export type FieldPath = readonly (string | number)[];

export interface SourceDocument {
  file: string;
  /** Position of the document within its file, from 0. */
  index: number;
  value: unknown;
  /** Where `path` is written in this document, or undefined when it is not. */
  locate(path: FieldPath, at?: 'key' | 'value'): Position | undefined;
}

export interface Position {
  line: number;
  column: number;
}

export interface ParsedFile {
  documents: SourceDocument[];
  problems: Problem[];
}

/**
 * A file's documents, from its bytes as a tree reads them: this is where a job file is
 * decoded, and bytes that are not UTF-8 are a problem at the first of them. Read fast (values only, `fast-yaml.ts`) when that is safe; positions
 * are then worked out by the full parser on the first `locate`, which only a problem asks for.
 */
/** A file's content as read: bytes from a tree (decoded here, so invalid UTF-8 is a problem), or text. */
export type FileContent = string | Uint8Array;

export function parseYamlFile(file: string, content: FileContent): ParsedFile {
  const decoded = typeof content === 'string' ? { text: content } : decodeUtf8(content);
  if ('invalid' in decoded) {
    const { line, column, byte } = decoded.invalid;
    const hex = byte.toString(16).padStart(2, '0');
    const message = `not valid UTF-8 (byte 0x${hex}); save the file as UTF-8 text`;
    return { documents: [], problems: [{ file, line, column, path: '', message }] };
  }
  const { text } = decoded;
  const values = fastValues(text);
  if (!values) return parseWithPositions(file, text);
  // Positions would cost a node object per value: a document far larger than any job is
  // refused before any message needs one.
  const crowded = values.findIndex((value) => !withinValues(value, MAX_DOCUMENT_VALUES));
  if (crowded < 0) return locatedLater(file, text, values);
  const message = `document ${crowded + 1} holds more than ${MAX_DOCUMENT_VALUES} values (maps, lists and scalars); a job has a few hundred`;
  return { documents: [], problems: [{ file, line: 1, column: 1, path: '', message }] };
}

/**
 * Whether `text` has at most `max` lexical tokens. The full parser's time and memory grow
 * faster than its input (docs/performance.md), its lexer's do not and stop here.
 */
function withinTokens(text: string, max: number): boolean {
  let count = 0;
  for (const _token of new (yaml().Lexer)().lex(text)) if (++count > max) return false;
  return true;
}

/** Whether `value` holds at most `max` values, itself included; stops counting past `max`. */
function withinValues(value: unknown, max: number): boolean {
  const stack = [value];
  let count = 0;
  while (stack.length > 0) {
    if (++count > max) return false;
    const next = stack.pop();
    if (typeof next === 'object' && next !== null) for (const child of Object.values(next)) stack.push(child);
  }
  return true;
}

function locatedLater(file: string, text: string, values: unknown[]): ParsedFile {
  let full: ParsedFile | undefined;
  const located = () => (full ??= parseWithPositions(file, text));
  const documents = values.map((value, index) => ({
    file,
    index,
    value,
    locate: (path: FieldPath, at?: 'key' | 'value') => located().documents[index]?.locate(path, at),
  }));
  return { documents, problems: [] };
}

/** The full parser: every node keeps its position, every mistake is a problem. */
export function parseWithPositions(file: string, text: string): ParsedFile {
  if (!withinTokens(text, MAX_FILE_TOKENS)) {
    const message = `holds more than ${MAX_FILE_TOKENS} YAML tokens; a job file has a few hundred per job`;
    return { documents: [], problems: [{ file, line: 1, column: 1, path: '', message }] };
  }
  const { LineCounter, parseAllDocuments } = yaml();
  const lineCounter = new LineCounter();
  const documents: SourceDocument[] = [];
  const problems: Problem[] = [];
  const parsed = parseAllDocuments(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (!Array.isArray(parsed)) return { documents, problems }; // an empty stream
  parsed.forEach((doc, index) => {
    const docProblems = doc.errors.map((error) => {
      const { line, col } = lineCounter.linePos(openerOffset(text, error.pos[0], error.message));
      const path = error.code === 'DUPLICATE_KEY' ? pathOfKeyAt(doc, error.pos[0]) : [];
      return {
        file,
        line,
        column: col,
        path: formatPath(path),
        message: describeYamlError(error.code, error.message),
      };
    });
    docProblems.push(...tagProblems(file, text, doc, lineCounter));
    docProblems.push(...collectionKeyProblems(file, doc, lineCounter));
    problems.push(...docProblems);
    if (docProblems.length > 0 || isEmptyDocument(doc)) return;
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: 100 });
    } catch (error) {
      const { line, col } = lineCounter.linePos(doc.range[0]);
      problems.push({ file, line, column: col, path: '', message: (error as Error).message });
      return;
    }
    const locate = (path: FieldPath, at: 'key' | 'value' = 'value') => locateIn(doc, lineCounter, path, at);
    documents.push({ file, index, value, locate });
  });
  return { documents, problems };
}

/**
 * A map or list used as a key (`? [a, b]`, `{a: 1}: x`): JavaScript objects would stringify
 * it, and the yaml library would warn on stderr, so it is a problem where the key is written.
 */
function collectionKeyProblems(file: string, doc: Document, lineCounter: LineCounter): Problem[] {
  const problems: Problem[] = [];
  const { isCollection, visit } = yaml();
  visit(doc, {
    Pair(_, pair, ancestors) {
      if (!isCollection(pair.key)) return;
      const { line, col } = lineCounter.linePos(pair.key.range?.[0] ?? 0);
      const path = formatPath(pathOf(ancestors));
      problems.push({
        file,
        line,
        column: col,
        path,
        message: 'a key must be a plain value, not a map or a list',
      });
    },
  });
  return problems;
}

/** A document with nothing in it but comments, like the one a trailing `---` opens. */
function isEmptyDocument(doc: Document): boolean {
  const { isScalar } = yaml();
  return doc.contents === null || (isScalar(doc.contents) && doc.contents.source === '' && !doc.contents.tag);
}

/**
 * The YAML tags a job file may use: those that only say what a plain scalar, map or list
 * already is. Any other tag (`!!set`, `!!binary`, `!!timestamp`, `!!omap`, `!custom`…) would
 * make a value that is not plain data, which the rest of Borealis would drop or mangle.
 */
const PLAIN_TAGS = ['str', 'int', 'float', 'bool', 'null', 'map', 'seq'];
const CORE_TAG_PREFIX = 'tag:yaml.org,2002:';
const ALLOWED_TAGS = new Set(PLAIN_TAGS.map((name) => CORE_TAG_PREFIX + name));

function tagProblems(file: string, text: string, doc: Document, lines: Yaml.LineCounter): Problem[] {
  if (!text.includes('!')) return []; // no tag anywhere: no need to visit every node
  const problems: Problem[] = [];
  const unfit = new Set(
    doc.warnings.filter((warning) => warning.code === 'TAG_RESOLVE_FAILED').map((warning) => warning.pos[0]),
  );
  const { isNode, visit } = yaml();
  visit(doc, {
    Node(_, node, ancestors) {
      if (!isNode(node) || node.tag === undefined) return;
      const valueStart = node.range?.[0] ?? 0;
      const tagStart = tagOffset(text, valueStart);
      const message = ALLOWED_TAGS.has(node.tag)
        ? unfit.has(tagStart) && `the value does not fit its YAML tag ${shortTag(node.tag)}`
        : `YAML tag ${shortTag(node.tag)} is not supported; write a plain scalar, map or list (tags allowed: ${PLAIN_TAGS.map((name) => `!!${name}`).join(', ')})`;
      unfit.delete(tagStart);
      if (!message) return;
      const { line, col } = lines.linePos(tagStart);
      problems.push({ file, line, column: col, path: formatPath(pathOf([...ancestors, node])), message });
    },
  });
  for (const offset of unfit) {
    const { line, col } = lines.linePos(offset);
    problems.push({ file, line, column: col, path: '', message: 'the value does not fit its YAML tag' });
  }
  return problems;
}

/** How far before a tagged value its tag is looked for: a window, so many tags cost linear time. */
const TAG_LOOKBACK = 1024;

/** Where the tag of a node whose value starts at `valueStart` is written: the last `!…` token before it. */
function tagOffset(text: string, valueStart: number): number {
  const from = Math.max(0, valueStart - TAG_LOOKBACK);
  const tag = /!(?:<[^>]*>|\S*)\s*$/.exec(text.slice(from, valueStart));
  return tag ? from + tag.index : valueStart;
}

function shortTag(tag: string): string {
  return tag.startsWith(CORE_TAG_PREFIX) ? `!!${tag.slice(CORE_TAG_PREFIX.length)}` : tag;
}

function locateIn(
  doc: Document,
  lines: Yaml.LineCounter,
  path: FieldPath,
  at: 'key' | 'value',
): Position | undefined {
  const node =
    at === 'key' && path.length > 0 ? keyNode(doc, path) : (doc.getIn(path, true) as Node | undefined);
  const offset = node && typeof node === 'object' && 'range' in node ? node.range?.[0] : undefined;
  if (offset === undefined) return undefined;
  const { line, col } = lines.linePos(offset);
  return { line, column: col };
}

function keyNode(doc: Document, path: FieldPath): Node | undefined {
  const parent: unknown = path.length === 1 ? doc.contents : doc.getIn(path.slice(0, -1), true);
  const last = path[path.length - 1];
  const { isMap, isScalar, isSeq } = yaml();
  if (isMap(parent)) {
    const pair = parent.items.find((item) => isScalar(item.key) && String(item.key.value) === String(last));
    return (pair?.key as Node | undefined) ?? undefined;
  }
  if (isSeq(parent) && typeof last === 'number') return parent.items[last] as Node | undefined;
  return undefined;
}

/** Finds the field path of the map key that starts at `offset` (for duplicate-key errors). */
function pathOfKeyAt(doc: Document, offset: number): (string | number)[] {
  let found: (string | number)[] = [];
  const { isScalar, visit } = yaml();
  visit(doc, {
    Pair(_, pair, ancestors) {
      if (isScalar(pair.key) && pair.key.range?.[0] === offset) {
        found = [...pathOf(ancestors), String(pair.key.value)];
        return visit.BREAK;
      }
      return undefined;
    },
  });
  return found;
}

function pathOf(ancestors: readonly unknown[]): (string | number)[] {
  const path: (string | number)[] = [];
  const { isPair, isScalar, isSeq } = yaml();
  ancestors.forEach((node, index) => {
    const child = ancestors[index + 1];
    if (isPair(node) && isScalar(node.key)) path.push(String(node.key.value));
    else if (isSeq(node) && child !== undefined) path.push(node.items.indexOf(child));
  });
  return path;
}

/**
 * The parser reports an unclosed quote or bracket where it gave up — often past the end of
 * the file. The place to fix is where it was opened, so point there instead.
 */
function openerOffset(text: string, offset: number, message: string): number {
  const quote = /missing closing (["'])quote/i.exec(message)?.[1];
  if (quote) {
    const opener = text.lastIndexOf(quote, Math.min(offset, text.length) - 1);
    return opener >= 0 ? opener : offset;
  }
  const bracket = /end with an? ([\]}])/.exec(message)?.[1];
  if (!bracket) return Math.min(offset, Math.max(text.length - 1, 0));
  const open = bracket === ']' ? '[' : '{';
  let depth = 0;
  for (let i = Math.min(offset, text.length) - 1; i >= 0; i--) {
    if (text[i] === bracket) depth++;
    else if (text[i] === open && depth-- === 0) return i;
  }
  return offset;
}

function describeYamlError(code: string, message: string): string {
  if (code === 'DUPLICATE_KEY') return 'duplicate key: this field is already set earlier in the same map';
  const firstLine = message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
  return `invalid YAML, ${lowerFirst(firstLine)}`;
}

function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}

/** `['task', 'processes', 0, 'cmdline']` → `task.processes[0].cmdline` */
export function formatPath(path: FieldPath): string {
  return path.reduce<string>((text, part) => {
    if (typeof part === 'number') return `${text}[${part}]`;
    const safe = /^[\w-]+$/.test(part) ? part : JSON.stringify(part);
    return text ? `${text}.${safe}` : safe;
  }, '');
}
