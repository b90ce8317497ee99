/**
 * The fast way through a job file. Parsing dominates loading a large repository, and
 * `yaml`, which keeps every node's position for error messages, is several times slower
 * than js-yaml. Positions are only needed when something is wrong, so a file is
 * read with js-yaml first and with `yaml` only when a message must point into it.
 *
 * js-yaml's CORE_SCHEMA resolves scalars as YAML 1.2's core schema does, as `yaml` does
 * (tested side by side on every case where the schemas of YAML 1.1 and 1.2 differ). Where
 * the two parsers could still differ, the file takes the full parser instead: any error,
 * a `%` directive (`%YAML 1.1` changes the schema), anchors and aliases (`yaml` limits their
 * expansion), tags (js-yaml accepts `v: ! :`, which `yaml` rejects), null keys (js-yaml
 * names them "null", `yaml` ""; a quoted "null" key declines too, which only costs speed)
 * tabs (js-yaml reads `\ta`, `yaml` rejects tab indentation), numbers beyond a double's
 * range (js-yaml reads `1e400` as a string, `yaml` as Infinity), streams with no document, and
 * any document that is not a mapping (every file Borealis reads holds mappings, and js-yaml
 * reads some broken ones as a scalar; `yaml` skips empty documents, js-yaml reads them as
 * null). Found by the property tests in test/jobspec/fast-yaml.test.ts.
 */
import { CORE_SCHEMA, loadAll } from 'js-yaml';

const DIRECTIVE = /^%/m;
/** `&name` or `*name` where an anchor or alias can start; also matches some plain text, which only costs speed. */
const ANCHOR_OR_ALIAS = /(?:^|[\s[{,:-])[&*][^\s,[\]{}]/m;
/** `!` where a tag can start; also matches some plain text, which only costs speed. */
const TAG = /(?:^|[\s[{,:-])!/m;
const TAB = /\t/;
/**
 * A sequence item that opens with a quote or bracket and has a `:` or `?` after a closing
 * one: js-yaml reads `v:\n- "x"y: 1` as a key `y` of the mapping above, `yaml` rejects it.
 */
const ITEM_WITH_TRAILING_KEY = /^ *- +["'[{][^\n]*["'\]}][^\n]*[:?]/m;

const DECLINED = [DIRECTIVE, ANCHOR_OR_ALIAS, TAG, TAB, ITEM_WITH_TRAILING_KEY];

/** The documents' values, or undefined when the file must go through the full parser. */
export function fastValues(text: string): unknown[] | undefined {
  if (DECLINED.some((pattern) => pattern.test(text))) return undefined;
  let values: unknown[];
  try {
    values = loadAll(text, { schema: CORE_SCHEMA });
  } catch {
    return undefined;
  }
  const readable = values.length > 0 && values.every((value) => isMapping(value) && !readsDifferently(value));
  return readable ? values : undefined;
}

function isMapping(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A YAML 1.2 core-schema number: decimal, float, 0o octal or 0x hex. */
const CORE_NUMBER = /^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|0o[0-7]+|0x[0-9a-fA-F]+)$/;

/**
 * A null key, or a number beyond a double's range (`1e400`, 400 digits): js-yaml reads such
 * a number as a string, `yaml` as Infinity. A quoted one declines too, which only costs speed.
 */
function readsDifferently(value: unknown): boolean {
  if (typeof value === 'string') return CORE_NUMBER.test(value) && !Number.isFinite(Number(value));
  if (Array.isArray(value)) return value.some(readsDifferently);
  if (value === null || typeof value !== 'object') return false;
  return Object.entries(value).some(([key, child]) => key === 'null' || readsDifferently(child));
}
