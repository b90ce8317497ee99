/**
 * What loading one commit may cost. Every file Borealis reads from a commit is input anyone
 * who can push may write, so each cost is bounded before it is paid: bytes before a blob is
 * read, values before a file is parsed for positions, path length and chain depth before an
 * `extends:` is resolved, and the text of a problem before it is printed or recorded.
 */

export interface LoadLimits {
  /** Bytes of one file Borealis reads: a job file, a template or clusters.yaml. */
  maxFileBytes: number;
  /** Bytes of every such file of one commit together. */
  maxCommitBytes: number;
}

/**
 * Far above a job file written by hand, or one holding a hundred jobs, so it leaves room
 * for generated files, while bounding what one file costs to parse, with the limits on
 * values and tokens below, even in the slowest case (a file the fast reader declines).
 * The sizes and costs behind it are in docs/performance.md.
 */
export const DEFAULT_MAX_FILE_BYTES = 2 ** 20;

/**
 * Several times a large repository's job files (docs/performance.md), and still loaded in
 * seconds.
 */
export const DEFAULT_MAX_COMMIT_BYTES = 64 * 2 ** 20;

export const DEFAULT_LOAD_LIMITS: LoadLimits = {
  maxFileBytes: DEFAULT_MAX_FILE_BYTES,
  maxCommitBytes: DEFAULT_MAX_COMMIT_BYTES,
};

/** Values (maps, lists and scalars) in one YAML document; a job has a few hundred. */
export const MAX_DOCUMENT_VALUES = 20_000;

/**
 * YAML tokens in one file read for positions (a file the fast reader declines, or one with
 * a problem to point at). A job takes a few hundred; the limit bounds the full parser's time
 * and memory (docs/performance.md).
 */
export const MAX_FILE_TOKENS = 250_000;

/** Milliseconds of loading between two turns of the event loop (see `Slices` in load.ts). */
export const LOAD_SLICE_MS = 50;

/** Characters of an `extends:` value: a relative path to a template, far below any file system's PATH_MAX. */
export const MAX_EXTENDS_LENGTH = 1024;

/** Templates in one `extends:` chain, the job not counted. */
export const MAX_EXTENDS_DEPTH = 10;

/** Characters of a key or value quoted in a problem; longer ones are cut with an ellipsis. */
export const MAX_QUOTED_CHARS = 80;

/** Characters of a whole problem message. */
export const MAX_PROBLEM_CHARS = 1000;

/** Characters of a problem's field path. */
export const MAX_PROBLEM_PATH_CHARS = 200;

/** Problems reported per file; the rest are counted in one more line. */
export const MAX_PROBLEMS_PER_FILE = 100;

/** Problems reported per commit; the rest are counted in one more line. */
export const MAX_PROBLEMS_PER_COMMIT = 1000;

/** `text` itself, or its first `max - 1` characters and an ellipsis. */
export function shorten(text: string, max = MAX_QUOTED_CHARS): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** Bytes as a person reads them: `1 MiB`, `300 KiB`, `512 B`. */
export function formatBytes(bytes: number): string {
  if (bytes >= 2 ** 20) return `${Number((bytes / 2 ** 20).toFixed(1))} MiB`;
  if (bytes >= 2 ** 10) return `${Number((bytes / 2 ** 10).toFixed(1))} KiB`;
  return `${bytes} B`;
}
