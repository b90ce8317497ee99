/**
 * Checks on every key and string of a job (or clusters.yaml), wherever it is written, that no schema rule can
 * make for all fields at once: what would otherwise pass validation and be lost or fail
 * only later. A NUL character cannot be passed to a process (arguments and environment
 * are C strings), so a value holding one would fail at launch. `__proto__` is the one key
 * JavaScript treats specially: assigned to an object, it sets the object's prototype
 * instead of adding the key, so a process, port or map key of that name would vanish
 * somewhere between the file and the cluster. Both are reported here, with their path.
 */
import type { SchemaProblem } from './schema.js';

export const PROTO_KEY = '__proto__';
/** Deeper than any valid job nests; the schema reports what is below. */
const MAX_DEPTH = 64;

type Path = (string | number)[];

/** The schema's problems, then these checks' problems at every path the schema did not already report. */
export function withValueProblems(schemaProblems: readonly SchemaProblem[], value: unknown): SchemaProblem[] {
  const reported = new Set(schemaProblems.map((problem) => pathKey(problem.path)));
  const found: SchemaProblem[] = [];
  visit(value, [], found);
  return [...schemaProblems, ...found.filter((problem) => !reported.has(pathKey(problem.path)))];
}

function pathKey(path: readonly (string | number)[]): string {
  return JSON.stringify(path);
}

/** `path` is one array pushed and popped as the walk goes: a large list costs no copies. */
function visit(value: unknown, path: Path, problems: SchemaProblem[]): void {
  if (typeof value === 'string') {
    checkText(value, path, 'value', problems);
    return;
  }
  if (value === null || typeof value !== 'object' || path.length > MAX_DEPTH) return;
  if (Array.isArray(value)) {
    for (let index = 0; index < value.length; index++) {
      path.push(index);
      visit(value[index], path, problems);
      path.pop();
    }
    return;
  }
  for (const key of Object.keys(value)) {
    path.push(key);
    checkText(key, path, 'key', problems);
    visit((value as Record<string, unknown>)[key], path, problems);
    path.pop();
  }
}

function checkText(text: string, path: Path, at: 'key' | 'value', problems: SchemaProblem[]): void {
  const what = at === 'key' ? 'a key' : 'a value';
  if (text.includes('\0'))
    problems.push({ path: [...path], at, message: `${what} must not contain a NUL character (\\0)` });
  if (text === PROTO_KEY)
    problems.push({
      path: [...path],
      at,
      message: `"${PROTO_KEY}" cannot be used as a key or name: JavaScript gives it a special meaning`,
    });
}
