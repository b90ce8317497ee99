/** The project's own example-repo/, committed into a temporary Git repository, for end-to-end tests. */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TempGitRepo } from './git-repo.js';

const EXAMPLE = fileURLToPath(new URL('../../../example-repo/', import.meta.url));

/** Every file of example-repo/, relative path → content. */
export function exampleFiles(): Record<string, string> {
  const files: Record<string, string> = {};
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else files[relative(EXAMPLE, path)] = readFileSync(path, 'utf8');
    }
  };
  walk(EXAMPLE);
  return files;
}

/** A Git repository whose first commit is example-repo/, with `overrides` (e.g. another clusters.yaml). */
export function exampleRepo(overrides: Record<string, string> = {}): TempGitRepo {
  const repo = new TempGitRepo('borealis-example-');
  repo.commit('The example repository', { ...exampleFiles(), ...overrides });
  return repo;
}
