/**
 * JSON Schema validation with ajv, compiled once per process. ajv's raw errors are turned
 * into messages a person understands, each with the field path it is about; the caller
 * turns paths into file positions.
 */
import { readFileSync } from 'node:fs';
import type * as AjvModule from 'ajv/dist/2020.js';
import type { Ajv2020, ErrorObject, ValidateFunction } from 'ajv/dist/2020.js';
import { CRON_SHORTHANDS } from '../cron/expression-parse.js';
import { lazily } from '../util/lazy-require.js';
import { MAX_QUOTED_CHARS, shorten } from './limits.js';
import { didYouMean } from './suggest.js';

export interface SchemaProblem {
  path: (string | number)[];
  /** Whether the problem is about a key (unknown field) rather than a value. */
  at: 'key' | 'value';
  message: string;
}

const ajvModule = lazily<typeof AjvModule>('ajv/dist/2020.js');
const SCHEMA_DIR = new URL('../../../schemas/', import.meta.url);

let ajv: Ajv2020 | undefined;
const compiled = new Map<string, ValidateFunction>();

/**
 * Each schema compiled on first use: compiling the job schema is slow, and a plan whose job
 * files are all cached never needs it.
 */
function validator(name: 'job.schema.json' | 'clusters.schema.json'): ValidateFunction {
  const known = compiled.get(name);
  if (known) return known;
  // useDefaults fills Aurora's defaults from the schema, so the schema is their one source.
  ajv ??= new (ajvModule().Ajv2020)({
    allErrors: true,
    verbose: true,
    useDefaults: true,
    strict: true,
    strictRequired: false,
  });
  const validate = ajv.compile(JSON.parse(readFileSync(new URL(name, SCHEMA_DIR), 'utf8')) as object);
  compiled.set(name, validate);
  return validate;
}

/** The default the job schema gives a top-level field, for rules that flag a value set on purpose. */
export function jobFieldDefault(field: string): unknown {
  const schema = validator('job.schema.json').schema as { properties: Record<string, { default?: unknown }> };
  return schema.properties[field]?.default;
}

/** Validates (and fills defaults into) `value`, which is modified in place. */
export function validateJobValue(value: unknown): SchemaProblem[] {
  return run(validator('job.schema.json'), value);
}

export function validateClustersValue(value: unknown): SchemaProblem[] {
  return run(validator('clusters.schema.json'), value);
}

function run(validate: ValidateFunction, value: unknown): SchemaProblem[] {
  if (validate(value)) return [];
  const errors = resolveAlternatives(
    (validate.errors ?? []).filter(
      (error) => !IGNORED_KEYWORDS.has(error.keyword) && !isInsidePropertyName(error),
    ),
  );
  return dedupe(dropRestatements(errors).map((error) => describe(error, value)));
}

/** `if`/`then` wrappers only restate the `required` errors beneath them. */
const IGNORED_KEYWORDS = new Set(['if']);

/** Errors about a map key are reported once, by the `propertyNames` error that wraps them. */
function isInsidePropertyName(error: ErrorObject): boolean {
  return (error as ErrorObject & { propertyName?: string }).propertyName !== undefined;
}

function isAlternative(error: ErrorObject): boolean {
  return error.keyword === 'anyOf' || error.keyword === 'oneOf';
}

/**
 * For `anyOf`/`oneOf`, the branches' own errors are noise unless the value's type picks
 * exactly one branch: then that branch's errors say precisely what is wrong (a string
 * that is not a URL), and the generic "must be a string or a list" is dropped.
 */
function resolveAlternatives(errors: ErrorObject[]): ErrorObject[] {
  let result = errors;
  for (const alternative of errors.filter(isAlternative)) {
    const prefix = `${alternative.schemaPath}/`;
    const branches = alternative.schema as { type?: string; $ref?: string }[];
    const matching = branches.flatMap((branch, index) =>
      typeMatches(branch, alternative.data) ? [index] : [],
    );
    const inside = (error: ErrorObject) => error.schemaPath.startsWith(prefix);
    const chosen = matching.length === 1 ? `${prefix}${matching[0]}/` : undefined;
    result = result.filter((error) =>
      chosen
        ? error !== alternative && (!inside(error) || error.schemaPath.startsWith(chosen))
        : !inside(error),
    );
  }
  return result;
}

function typeMatches(branch: { type?: string; $ref?: string }, data: unknown): boolean {
  const type = branch.type ?? (branch.$ref ? 'string' : undefined);
  if (type === 'integer') return Number.isInteger(data);
  if (type === 'array') return Array.isArray(data);
  if (type === 'object') return typeof data === 'object' && data !== null && !Array.isArray(data);
  return type === typeof data;
}

/** An empty string fails `minLength` and `pattern`; "must not be empty" says it all. */
function dropRestatements(errors: ErrorObject[]): ErrorObject[] {
  const empty = new Set(
    errors.filter((error) => error.keyword === 'minLength').map((error) => error.instancePath),
  );
  return errors.filter(
    (error) =>
      error.keyword === 'minLength' || !empty.has(error.instancePath) || error.keyword === 'required',
  );
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
      // A name this long is no typo of a field, and comparing it would cost its length.
      const suggestion = field.length <= MAX_QUOTED_CHARS ? didYouMean(field, known) : undefined;
      const hint = suggestion ? `; did you mean "${suggestion}"?` : `; known fields: ${known.join(', ')}`;
      return { path: [...path, field], at: 'key', message: `unknown field "${shorten(field)}"${hint}` };
    }
    case 'propertyNames': {
      const name = String(params.propertyName);
      const rule = PATTERN_MESSAGES.find(([schemaPath]) => schemaPath.test(`${error.schemaPath}/`))?.[1];
      return {
        path: [...path, name],
        at: 'key',
        message: `${rule ?? 'is not a valid name here'} (got ${JSON.stringify(shorten(name))})`,
      };
    }
    default:
      return { path, at: 'value', message: describeValueError(error) };
  }
}

const PATTERN_MESSAGES: [RegExp, string][] = [
  [
    /properties\/env\/propertyNames\//,
    "must be an environment variable name: letters, digits and '_', not starting with a digit",
  ],
  [/properties\/constraints\/propertyNames\//, "must contain only letters, digits, '_', '-' and '.'"],
  [
    /properties\/portmap\/propertyNames\//,
    "must be an endpoint name: a letter or '_' followed by letters, digits, '_' or '-'",
  ],
  [/\$defs\/size\//, 'must be a size like 128MiB, 1GiB or 512MB'],
  [/\$defs\/name\//, "must contain only letters, digits, '_', '-' and '.'"],
  [/\$defs\/port_name\//, "must be a port name: a letter or '_' followed by letters, digits, '_' or '-'"],
  [
    /properties\/constraints\/additionalProperties/,
    "must be 'limit:N' (N from 1 to 99999) or a comma-separated list of values, optionally negated with a leading '!'",
  ],
  [
    /properties\/cron_schedule\//,
    `must have five cron fields (minute hour day-of-month month day-of-week) or be one of ${Object.keys(CRON_SHORTHANDS).join(', ')}`,
  ],
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
      const pattern = (error.parentSchema as { pattern?: string }).pattern;
      const quotedIsValid = pattern === undefined || new RegExp(pattern, 'u').test(String(error.data));
      const known = knownPatternMessage(error.schemaPath);
      if (known && !quotedIsValid) return `${known}${got}`;
      const quotable =
        expected === 'string' && ['number', 'boolean'].includes(typeof error.data) && quotedIsValid;
      return `must be ${article(expected)}${got}${quotable ? '; quote it to make it a string' : ''}`;
    }
    case 'pattern':
      return `${knownPatternMessage(error.schemaPath) ?? `must match ${String(params.pattern)}`}${got}`;
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

/** The readable rule behind a schema location's pattern (for a `type` error too: `…/type`). */
function knownPatternMessage(schemaPath: string): string | undefined {
  const patternPath = schemaPath.replace(/\/type$/, '/pattern');
  return PATTERN_MESSAGES.find(([location]) => location.test(patternPath))?.[1];
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
  // YAML reads `1e400`, `.inf` and a 400-digit number as ±Infinity, `.nan` as NaN.
  if (typeof data === 'number' && !Number.isFinite(data))
    return Number.isNaN(data) ? '.nan, not a number' : 'a number too large to hold';
  // Beyond 2^53 a number is rounded: 9007199254740993 reads as 9007199254740992.
  if (typeof data === 'number' && Math.abs(data) > Number.MAX_SAFE_INTEGER) return `about ${data}`;
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
