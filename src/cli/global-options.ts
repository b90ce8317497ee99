import { execFileSync } from 'node:child_process';
import type { Command } from 'commander';
import { isRemote } from '../source/tracked.js';
import { join } from 'node:path';
import { DEFAULT_MAX_COMMIT_BYTES, DEFAULT_MAX_FILE_BYTES, type LoadLimits } from '../jobspec/limits.js';
import { byteSize, positiveInteger } from './option-values.js';

/** The flags every command takes, as commands use them (see `globalOptions`). */
export interface GlobalOptions {
  repo: string;
  path: string;
  branch?: string;
  cluster: string;
  /** A directory, or `zk://host:port[,host:port]/chroot` for state shared by several reconcilers. */
  state: string;
  /** The HTTP address this process serves, advertised to followers when it leads. */
  listen?: string;
  /** Deployment records kept before the oldest are pruned. */
  historyLimit?: number;
  /** What one file and one commit may weigh (`--max-file-size`, `--max-commit-size`); by default the defaults. */
  limits?: LoadLimits;
  /** False with `--no-color`; whether colour is used at all is `useColour`'s decision. */
  colour?: boolean;
  /** This machine's directory for the repository: `<top>/.borealis`; default `.borealis`. */
  home?: string;
}

export function addGlobalOptions(program: Command): Command {
  return program
    .option('--repo <PATH>', 'the Git repository holding the jobs, or any directory inside it', '.')
    .option('--path <DIR>', 'job root, relative to the top of the repository', '')
    .option('--branch <NAME>', "tracked branch (default: the repository's current branch)")
    .option('--cluster <NAME>', 'cluster from clusters.yaml to act on', 'local')
    .option(
      '--state <DIR|URL>',
      'state: a directory, or zk://host:port[,host:port]/chroot to share it (default: .borealis at the top of the repository)',
    )
    .option('--history-limit <N>', 'deployment records kept; older ones are pruned', positiveInteger, 1000)
    .option(
      '--max-file-size <SIZE>',
      'largest job file, template or clusters.yaml read from a commit',
      byteSize,
      DEFAULT_MAX_FILE_BYTES,
    )
    .option(
      '--max-commit-size <SIZE>',
      "largest total of a commit's job files",
      byteSize,
      DEFAULT_MAX_COMMIT_BYTES,
    )
    .option('--no-color', 'never colour the output (also: NO_COLOR set, TERM=dumb, output not a terminal)');
}

interface GivenOptions extends Omit<GlobalOptions, 'state' | 'limits'> {
  state?: string;
  color: boolean;
  maxFileSize: number;
  maxCommitSize: number;
}

/**
 * The global flags as commands use them. As git does, the repository is found from any
 * directory inside it, and the state belongs to the repository, not to the current directory.
 */
export function globalOptions(command: Command): GlobalOptions {
  const all = command.optsWithGlobals<GivenOptions>();
  const top = repositoryTop(all.repo);
  // Outside a repository (a remote URL, or none) it stays in the current directory.
  const home = top === undefined ? '.borealis' : join(top, '.borealis');
  return {
    repo: top ?? all.repo,
    path: all.path,
    branch: all.branch,
    cluster: all.cluster,
    state: all.state ?? home,
    historyLimit: all.historyLimit,
    limits: loadLimits(command),
    colour: all.color,
    home,
  };
}

/**
 * What one file and one commit may weigh. Flags, not clusters.yaml: a commit must not be
 * able to raise its own limits.
 */
export function loadLimits(command: Command): LoadLimits {
  const all = command.optsWithGlobals<GivenOptions>();
  return { maxFileBytes: all.maxFileSize, maxCommitBytes: all.maxCommitSize };
}

/** `git rev-parse --show-toplevel`; undefined for a remote URL or outside a work tree. */
function repositoryTop(repo: string): string | undefined {
  if (isRemote(repo)) return undefined;
  try {
    const top = execFileSync('git', ['rev-parse', '--show-toplevel'], {
      cwd: repo,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    return top.trim() || undefined;
  } catch {
    return undefined;
  }
}
