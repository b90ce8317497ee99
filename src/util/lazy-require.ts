/**
 * A CommonJS package loaded on first use rather than at start-up. `yaml` and `ajv` are
 * slow to import, and a `plan` whose every file is in the spec cache never needs them.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

export function lazily<T>(id: string): () => T {
  let loaded: T | undefined;
  return () => (loaded ??= require(id) as T);
}
