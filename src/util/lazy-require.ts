/**
 * A CommonJS package loaded on first use rather than at start-up. `yaml` and `ajv` take
 * about 90 ms to import, which a `plan` whose every file is in the spec cache never needs.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

export function lazily<T>(id: string): () => T {
  let loaded: T | undefined;
  return () => (loaded ??= require(id) as T);
}
