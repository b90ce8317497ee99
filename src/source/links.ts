/**
 * Symbolic links in a job root, the same for a commit, a work tree and a directory. A link
 * is followed, as Argo CD does, when it leads (through other links, if need be) to a
 * regular file inside the job root: it then reads as that file, with that file's id, so
 * the spec cache keyed by blob id stays right. A link that cannot be followed (to a path
 * outside the job root or an absolute one, to nothing, to a directory, round a loop) is
 * reported, naming the link and its target, when Borealis would read it: a YAML file, or
 * anything under `jobs/`. Other links are never read, so nothing is lost by leaving them.
 * Targets are resolved by their text alone, never by the file system, so a directory and
 * its commit agree, and nothing outside the job root is ever opened.
 */
import { posix } from 'node:path';
import type { TreeEntry } from './tree.js';

/** Longer targets are reported, not resolved: PATH_MAX on Linux. */
export const MAX_LINK_TARGET_LENGTH = 4096;
/** Links followed one after another before giving up, as Linux's MAXSYMLINKS. */
const MAX_LINK_HOPS = 40;
const READ_PATH = /^jobs(?:\/|$)|\.ya?ml$/;

export interface LinkedFiles {
  /** Every readable path → its id: the regular files, and each followed link with its file's id. */
  ids: Map<string, string>;
  /** Each followed link → the regular file it reads as. */
  targets: Map<string, string>;
  /** What `RepoTree.list` answers: the readable paths, then the links reported. */
  entries: TreeEntry[];
}

/** Each readable path → the file to read for it: a followed link's target, never the link itself. */
export function readableFiles(linked: LinkedFiles): Map<string, string> {
  return new Map([...linked.ids.keys()].map((path) => [path, linked.targets.get(path) ?? path]));
}

/**
 * `files`: the regular files, path → id; `links`: the links, path → target as written.
 * Paths are relative to the job root.
 */
export function withLinks(
  files: ReadonlyMap<string, string>,
  links: ReadonlyMap<string, string>,
): LinkedFiles {
  const ids = new Map(files);
  const targets = new Map<string, string>();
  const broken: TreeEntry[] = [];
  const directories = directoriesOf([...files.keys(), ...links.keys()]);
  for (const [link, text] of links) {
    const resolved = resolveLink(link, links, files, directories);
    if ('file' in resolved) {
      targets.set(link, resolved.file);
      ids.set(link, files.get(resolved.file)!);
    } else if (READ_PATH.test(link)) {
      broken.push({ path: link, id: '', problem: `symbolic link to "${text}" ${resolved.problem}` });
    }
  }
  const entries = [...ids]
    .map(([path, id]): TreeEntry =>
      targets.has(path) ? { path, id, linkTo: targets.get(path)! } : { path, id },
    )
    .concat(broken)
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { ids, targets, entries };
}

function resolveLink(
  link: string,
  links: ReadonlyMap<string, string>,
  files: ReadonlyMap<string, string>,
  directories: ReadonlySet<string>,
): { file: string } | { problem: string } {
  const seen = new Set([link]);
  let current = link;
  for (;;) {
    const text = links.get(current)!;
    if (text.length > MAX_LINK_TARGET_LENGTH)
      return { problem: `is longer than ${MAX_LINK_TARGET_LENGTH} characters; it is not followed` };
    const via = current === link ? '' : ` (through "${current}")`;
    if (posix.isAbsolute(text))
      return { problem: `is an absolute path${via}; only links to files inside the job root are followed` };
    const next = posix.normalize(posix.join(posix.dirname(current), text));
    if (next === '..' || next.startsWith('../'))
      return { problem: `points outside the job root${via}; only links to files inside it are followed` };
    if (files.has(next)) return { file: next };
    if (next === '.' || directories.has(next))
      return { problem: `leads to a directory${via}; only links to files are followed` };
    if (!links.has(next)) return { problem: `names no file in the job root${via}` };
    if (seen.has(next) || seen.size >= MAX_LINK_HOPS) return { problem: 'leads round a loop of links' };
    seen.add(next);
    current = next;
  }
}

function directoriesOf(paths: readonly string[]): Set<string> {
  const directories = new Set<string>();
  for (const path of paths) {
    for (let slash = path.indexOf('/'); slash >= 0; slash = path.indexOf('/', slash + 1))
      directories.add(path.slice(0, slash));
  }
  return directories;
}
