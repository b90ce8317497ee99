/**
 * JSON Schema validation with ajv, compiled once per process. ajv's raw errors are turned
 * into messages a person understands, each with the field path it is about; the caller
 * turns paths into file positions.
 */
import { readFileSync } from 'node:fs';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import { didYouMean } from './suggest.js';

export interface SchemaProblem {
  path: (string | number)[];
  /** Whether the problem is about a key (unknown field) rather than a value. */
  at: 'key' | 'value';
  message: string;
}

const SCHEMA_DIR = new URL('../../../schemas/', import.meta.url);

let compiled: { job: ValidateFunction; clusters: ValidateFunction } | undefined;

function validators(): { job: ValidateFunction; clusters: ValidateFunction } {
  if (compiled) return compiled;
  // useDefaults fills Aurora's defaults from the schema, so the schema is their one source.
  const ajv = new Ajv2020({
    allErrors: true,
    verbose: true,
    useDefaults: true,
    strict: true,
    strictRequired: false,
  });
  const load = (name: string): object =>
    JSON.parse(readFileSync(new URL(name, SCHEMA_DIR), 'utf8')) as object;
  compiled = {
    job: ajv.compile(load('job.schema.json')),
    clusters: ajv.compile(load('clusters.schema.json')),
  };
  return compiled;
}

/** Validates (and fills defaults into) `value`, which is modified in place. */
export function validateJobValue(value: unknown): SchemaProblem[] {
  return run(validators().job, value);
}

export function validateClustersValue(value: unknown): SchemaProblem[] {
  return run(validators().clusters, value);
}

function run(validate: ValidateFunction, value: unknown): SchemaProblem[] {
  if (validate(value)) return [];
  const errors = (validate.errors ?? []).filter((error) => !IGNORED_KEYWORDS.has(error.keyword));
  const covered = alternativesPaths(errors);
  const problems = errors
    .filter((error) => !covered.some((path) => error.instancePath.startsWith(path) && !isAlternative(error)))
    .map((error) => describe(error, value));
  return dedupe(problems);
}

/** `if`/`then` wrappers and the branches of `anyOf`/`oneOf` restate a more useful error. */
const IGNORED_KEYWORDS = new Set(['if']);

function isAlternative(error: ErrorObject): boolean {
  return error.keyword === 'anyOf' || error.keyword === 'oneOf';
}

function alternativesPaths(errors: ErrorObject[]): string[] {
  return errors.filter(isAlternative).map((error) => error.instancePath);
}

function describe(error: ErrorObject, root: unknown): SchemaProblem {
  const path = toFieldPath(error.instancePath, root);
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'required':
      return { path: [...path, String(params.missingProperty)], at: 'value', message: 'is required' };
    case 'additionalProperties': {
      const field = String(params.additionalProperty);
      const known = Object.keys((error.parentSchema as { properties?: object }).properties ?? {});
      const suggestion = didYouMean(field, known);
      const hint = suggestion ? `; did you mean "${suggestion}"?` : `; known fields: ${known.join(', ')}`;
      return { path: [...path, field], at: 'key', message: `unknown field "${field}"${hint}` };
    }
    case 'propertyNames':
      return {
        path: [...path, String(params.propertyName)],
        at: 'key',
        message: `"${String(params.propertyName)}" is not a valid name here`,
      };
    default:
      return { path, at: 'value', message: describeValueError(error) };
  }
}

const PATTERN_MESSAGES: [RegExp, string][] = [
  [/\$defs\/size\//, 'must be a size like 128MiB, 1GiB or 512MB'],
  [/\$defs\/name\//, "must contain only letters, digits, '_', '-' and '.'"],
  [/\$defs\/port_name\//, "must be a port name: a letter or '_' followed by letters, digits, '_' or '-'"],
  [
    /properties\/constraints\/additionalProperties/,
    "must be 'limit:N' or a comma-separated list of values, optionally negated with a leading '!'",
  ],
  [/properties\/cron_schedule\//, 'must have five cron fields: minute hour day-of-month month day-of-week'],
  [/properties\/endpoint\//, "must be a path starting with '/'"],
  [/properties\/connect\//, 'must be a ZooKeeper connect string like zk1:2181,zk2:2181'],
  [/properties\/master\//, 'must be an http://, https:// or zk:// URL'],
];

function describeValueError(error: ErrorObject): string {
  const params = error.params as Record<string, unknown>;
  const got = ` (got ${preview(error.data)})`;
  switch (error.keyword) {
    case 'type': {
      const expected = String(params.type);
      const quoteHint =
        expected === 'string' && ['number', 'boolean'].includes(typeof error.data)
          ? '; quote it to make it a string'
          : '';
      return `must be ${article(expected)}${got}${quoteHint}`;
    }
    case 'pattern': {
      const known = PATTERN_MESSAGES.find(([schemaPath]) => schemaPath.test(error.schemaPath));
      return `${known ? known[1] : `must match ${String(params.pattern)}`}${got}`;
    }
    case 'enum':
      return `must be one of ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}${got}`;
    case 'const':
      return `must be ${JSON.stringify(params.allowedValue)}${got}`;
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return `must be ${String(params.comparison)} ${String(params.limit)}${got}`;
    case 'minLength':
      return 'must not be empty';
    case 'minItems':
      return `must have at least ${String(params.limit)} item${params.limit === 1 ? '' : 's'}`;
    case 'uniqueItems':
      return `must not repeat items (items ${String(params.j)} and ${String(params.i)} are equal)`;
    case 'minProperties':
    case 'maxProperties':
      return `must set exactly one of: ${Object.keys((error.parentSchema as { properties?: object }).properties ?? {}).join(', ')}`;
    case 'anyOf':
    case 'oneOf':
      return describeAlternatives(error);
    default:
      return error.message ?? `failed ${error.keyword}`;
  }
}

function describeAlternatives(error: ErrorObject): string {
  const branches = (error.schema as { type?: string; $ref?: string }[]).map((branch) =>
    branch.$ref?.endsWith('port_name') ? 'a port name' : branch.type ? article(branch.type) : 'a valid value',
  );
  return `must be ${branches.join(' or ')} (got ${preview(error.data)})`;
}

function article(type: string): string {
  const names: Record<string, string> = {
    object: 'a map',
    array: 'a list',
    integer: 'a whole number',
    number: 'a number',
    string: 'a string',
    boolean: 'true or false',
    null: 'empty',
  };
  return names[type] ?? type;
}

function preview(data: unknown): string {
  if (data === null || data === undefined) return 'nothing';
  if (Array.isArray(data)) return 'a list';
  if (typeof data === 'object') return 'a map';
  const text = JSON.stringify(data);
  return text.length > 40 ? `${text.slice(0, 37)}…` : text;
}

/** `/task/processes/0/name` → `['task', 'processes', 0, 'name']`, numbers only where the data is a list. */
function toFieldPath(pointer: string, root: unknown): (string | number)[] {
  if (!pointer) return [];
  const path: (string | number)[] = [];
  let node: unknown = root;
  for (const raw of pointer.slice(1).split('/')) {
    const segment = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    const part = Array.isArray(node) ? Number(segment) : segment;
    path.push(part);
    node = node === null || typeof node !== 'object' ? undefined : (node as Record<string, unknown>)[segment];
  }
  return path;
}

function dedupe(problems: SchemaProblem[]): SchemaProblem[] {
  const seen = new Set<string>();
  return problems.filter((problem) => {
    const key = `${problem.path.join('\0')}|${problem.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
