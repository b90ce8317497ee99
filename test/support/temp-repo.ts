/**
 * Temporary job repositories for tests: written from a map of path → content into a fresh
 * directory under the OS temp directory, and removed again afterwards.
 */
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, posix, relative, sep } from 'node:path';

/** Repository-relative paths with forward slashes (`jobs/web/site.yaml`) → file contents. */
export type RepoFiles = ReadonlyMap<string, string> | Readonly<Record<string, string>>;

export interface TempRepo {
  /** Absolute path of the repository's root directory. */
  readonly dir: string;
  /** Deletes the directory and everything in it. */
  remove(): Promise<void>;
}

export async function createTempRepo(files: RepoFiles): Promise<TempRepo> {
  const dir = await mkdtemp(join(tmpdir(), 'borealis-repo-'));
  const remove = () => rm(dir, { recursive: true, force: true });
  try {
    for (const [path, content] of entriesOf(files)) await writeRepoFile(dir, path, content);
  } catch (error) {
    await remove();
    throw error;
  }
  return { dir, remove };
}

/** Runs `use` on a temporary repository holding `files`, and removes it whatever happens. */
export async function withTempRepo<T>(files: RepoFiles, use: (dir: string) => Promise<T>): Promise<T> {
  const repo = await createTempRepo(files);
  try {
    return await use(repo.dir);
  } finally {
    await repo.remove();
  }
}

/** Every regular file under `dir`, keyed by its path relative to `dir` (forward slashes). */
export async function readFileMap(dir: string): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  for (const entry of entries.filter((e) => e.isFile())) {
    const full = join(entry.parentPath, entry.name);
    files.set(relative(dir, full).split(sep).join('/'), await readFile(full, 'utf8'));
  }
  return files;
}

function entriesOf(files: RepoFiles): [string, string][] {
  return isMap(files) ? [...files.entries()] : Object.entries(files);
}

function isMap(files: RepoFiles): files is ReadonlyMap<string, string> {
  return files instanceof Map;
}

async function writeRepoFile(dir: string, path: string, content: string): Promise<void> {
  const normal = posix.normalize(path);
  if (posix.isAbsolute(normal) || normal === '.' || normal.startsWith('../')) {
    throw new Error(`temp repo: "${path}" is not a path inside the repository`);
  }
  const full = join(dir, ...normal.split('/'));
  await mkdir(dirname(full), { recursive: true });
  await writeFile(full, content);
}
