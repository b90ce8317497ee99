/**
 * `extends:` inheritance. A job inherits a template file's fields; maps merge deeply,
 * while arrays and scalars written in the job replace the template's. Templates may
 * extend templates. Each merged job keeps its chain of documents, so a problem found in
 * the merged value is reported where that value was written: in the job or a template.
 */
import { MAX_EXTENDS_DEPTH, MAX_EXTENDS_LENGTH, shorten } from './limits.js';
import type { Problem } from './types.js';
import type { FieldPath, ParsedFile, SourceDocument } from './yaml.js';

export interface Location {
  file: string;
  line: number;
  column: number;
}

export interface MergedJob {
  /** The declaring job file. */
  file: string;
  value: Record<string, unknown>;
  /** The job's document first, then each template it inherits from, nearest first. */
  chain: SourceDocument[];
}

export type TemplateLoader = (path: string) => Promise<ParsedFile | null>;

export async function resolveExtends(
  job: SourceDocument,
  loadTemplate: TemplateLoader,
): Promise<{ merged?: MergedJob; problems: Problem[] }> {
  const chain: SourceDocument[] = [job];
  const seen = [job.file];
  for (;;) {
    const current = chain[chain.length - 1]!;
    const reference = (current.value as Record<string, unknown>).extends;
    if (reference === undefined) break;
    const fail = (message: string): { problems: Problem[] } => ({
      problems: [problemAt(current, ['extends'], message)],
    });
    if (typeof reference !== 'string' || reference === '') return fail('must be a path to a template file');
    if (reference.length > MAX_EXTENDS_LENGTH)
      return fail(`must be at most ${MAX_EXTENDS_LENGTH} characters (got ${reference.length})`);
    if (chain.length > MAX_EXTENDS_DEPTH)
      return fail(`too many templates in one chain: at most ${MAX_EXTENDS_DEPTH} (${seen.join(' → ')})`);
    const target = resolveTemplatePath(current.file, reference);
    if (target === undefined) return fail(`"${shorten(reference)}" points outside the repository`);
    if (seen.includes(target)) return fail(`cycle: ${[...seen, target].join(' → ')}`);
    const template = await loadTemplate(target);
    if (!template) return fail(`template "${target}" does not exist`);
    if (template.problems.length > 0) {
      return fail(`template "${target}" is invalid (its own errors are listed for that file)`);
    }
    const [document, ...extra] = template.documents;
    if (!document || extra.length > 0)
      return fail(`template "${target}" must hold exactly one YAML document`);
    if (!isPlainObject(document.value)) return fail(`template "${target}" must be a map of job fields`);
    chain.push(document);
    seen.push(target);
  }
  const value = chain.reduceRight<Record<string, unknown>>(
    (merged, document) => deepMerge(merged, document.value as Record<string, unknown>),
    {},
  );
  delete value.extends;
  return { merged: { file: job.file, value, chain }, problems: [] };
}

/**
 * `reference` relative to the directory of `file`, both inside the repository, as a path
 * from its root; undefined when it leaves the repository or is absolute. One pass over the
 * segments: `path.posix.normalize` takes time quadratic in the number of `../`.
 */
export function resolveTemplatePath(file: string, reference: string): string | undefined {
  if (reference.startsWith('/')) return undefined;
  const parts = file.split('/').slice(0, -1);
  for (const segment of reference.split('/')) {
    if (segment === '..') {
      if (parts.pop() === undefined) return undefined;
    } else if (segment !== '.' && segment !== '') parts.push(segment);
  }
  return parts.join('/');
}

/** Merges `override` onto `base`: maps recursively, everything else replaced. Inputs are not modified. */
export function deepMerge(
  base: Record<string, unknown>,
  override: Record<string, unknown>,
): Record<string, unknown> {
  const result: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(override)) {
    const existing = Object.hasOwn(result, key) ? result[key] : undefined;
    const merged = isPlainObject(existing) && isPlainObject(value) ? deepMerge(existing, value) : value;
    // Defined, not assigned: assigning a key written `__proto__` would set the prototype and drop the key.
    Object.defineProperty(result, key, {
      value: merged,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return result;
}

/**
 * Where a field of a merged job was written: the most specific path any document of the
 * chain writes, preferring the job over its templates. A field no document writes (a
 * missing required field, say) is reported at its nearest written parent. Below a list or
 * scalar that a nearer document writes, the templates' values were replaced and are never
 * blamed.
 */
export function locateInChain(
  chain: readonly SourceDocument[],
  path: FieldPath,
  at: 'key' | 'value',
): Location {
  const owners = ownersOf(chain, path);
  for (let depth = path.length; depth >= 0; depth--) {
    const prefix = path.slice(0, depth);
    const kind = depth === path.length ? at : 'key';
    for (const document of owners) {
      const position = document.locate(prefix, depth === 0 ? 'value' : kind);
      if (position) return { file: document.file, ...position };
    }
  }
  return { file: chain[0]!.file, line: 1, column: 1 };
}

/** The documents whose values can reach `path` after merging, nearest first. */
function ownersOf(chain: readonly SourceDocument[], path: FieldPath): readonly SourceDocument[] {
  let owners = chain;
  for (let depth = 1; depth < path.length; depth++) {
    const prefix = path.slice(0, depth);
    const writer = owners.find((document) => valueAt(document.value, prefix) !== undefined);
    if (writer && !isPlainObject(valueAt(writer.value, prefix))) owners = [writer];
  }
  return owners;
}

export function valueAt(value: unknown, path: FieldPath): unknown {
  let node = value;
  for (const part of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string | number, unknown>)[part];
  }
  return node;
}

function problemAt(document: SourceDocument, path: FieldPath, message: string): Problem {
  const { file, line, column } = locateInChain([document], path, 'value');
  return { file, line, column, path: path.join('.'), message };
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
