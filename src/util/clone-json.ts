/**
 * A deep copy of a parsed YAML value (plain maps, lists and scalars), faster than
 * `structuredClone`, which serialises: copying each job's value before validation filled
 * in its defaults was a visible share of a cold load. A value that is not
 * plain data, or nests deeper than any job can (a YAML alias that refers to itself), is
 * left to `structuredClone`, which copies anything cloneable, cycles included.
 */
const MAX_DEPTH = 64;

class NotPlain extends Error {}

export function cloneJson<T>(value: T): T {
  try {
    return copy(value, 0) as T;
  } catch (error) {
    if (error instanceof NotPlain) return structuredClone(value);
    throw error;
  }
}

function copy(value: unknown, depth: number): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (depth > MAX_DEPTH) throw new NotPlain();
  if (Array.isArray(value)) {
    const list = new Array<unknown>(value.length);
    for (let index = 0; index < value.length; index++) list[index] = copy(value[index], depth + 1);
    return list;
  }
  if (Object.getPrototypeOf(value) !== Object.prototype) throw new NotPlain();
  const map: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    const item = copy((value as Record<string, unknown>)[key], depth + 1);
    // A key written `__proto__` in YAML is an ordinary key, not the copy's prototype.
    if (key === '__proto__')
      Object.defineProperty(map, key, { value: item, enumerable: true, writable: true, configurable: true });
    else map[key] = item;
  }
  return map;
}
