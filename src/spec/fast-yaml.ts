/**
 * The fast way through a job file. Parsing dominates loading a large repository, and
 * `yaml`, which keeps every node's position for error messages, is about three times
 * slower than js-yaml. Positions are only needed when something is wrong, so a file is
 * read with js-yaml first and with `yaml` only when a message must point into it.
 *
 * js-yaml's CORE_SCHEMA resolves scalars as YAML 1.2's core schema does, as `yaml` does
 * (tested side by side on every case where the schemas of YAML 1.1 and 1.2 differ). Where
 * the two parsers could still differ, the file takes the full parser instead: any error,
 * a `%` directive (`%YAML 1.1` changes the schema), anchors and aliases (`yaml` limits their
 * expansion) and empty documents (which `yaml` skips and js-yaml reads as null).
 */
import { CORE_SCHEMA, loadAll } from 'js-yaml';

const DIRECTIVE = /^%/m;
/** `&name` or `*name` where an anchor or alias can start; also matches some plain text, which only costs speed. */
const ANCHOR_OR_ALIAS = /(?:^|[\s[{,:-])[&*][^\s,[\]{}]/m;

/** The documents' values, or undefined when the file must go through the full parser. */
export function fastValues(text: string): unknown[] | undefined {
  if (DIRECTIVE.test(text) || ANCHOR_OR_ALIAS.test(text)) return undefined;
  let values: unknown[];
  try {
    values = loadAll(text, { schema: CORE_SCHEMA });
  } catch {
    return undefined;
  }
  return values.every((value) => value !== null && value !== undefined) ? values : undefined;
}
