/**
 * Checks documents Borealis prints against the published schemas in schemas/, with ajv in
 * strict mode (so a schema that says less than it seems to is an error too).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';

const SCHEMA_DIR = new URL('../../../schemas/', import.meta.url);
const PUBLISHED = ['plan', 'deployment', 'history', 'validate', 'cron-history'] as const;
type Published = (typeof PUBLISHED)[number];

let validators: Map<Published, ValidateFunction> | undefined;

function validator(name: Published): ValidateFunction {
  if (!validators) {
    const ajv = new Ajv2020({ allErrors: true, strict: true });
    for (const each of PUBLISHED)
      ajv.addSchema(JSON.parse(readFileSync(new URL(`${each}.schema.json`, SCHEMA_DIR), 'utf8')) as object);
    validators = new Map(
      PUBLISHED.map((each) => [each, ajv.getSchema(`https://borealis.dev/schemas/${each}.schema.json`)!]),
    );
  }
  return validators.get(name)!;
}

/** The problems ajv finds in `value` against schemas/<name>.schema.json, one line each. */
export function schemaErrors(name: Published, value: unknown): string[] {
  const validate = validator(name);
  if (validate(value)) return [];
  return (validate.errors ?? []).map(
    (error) =>
      `${error.instancePath || '/'} ${error.message ?? error.keyword} ${JSON.stringify(error.params)}`,
  );
}

/** Parses printed JSON and asserts it matches the schema; returns it for further checks. */
export function assertMatchesSchema<T>(name: Published, printed: string): T {
  const value = JSON.parse(printed) as T;
  const errors = schemaErrors(name, value);
  assert.deepEqual(errors, [], `${name}.schema.json:\n${errors.join('\n')}\n${printed}`);
  const keys = Object.keys(value as object);
  assert.equal(keys[0], 'format_version', 'format_version comes first');
  return value;
}
