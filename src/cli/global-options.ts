import { execFileSync } from 'node:child_process';
import type { Command } from 'commander';
import { isRemote } from '../source/tracked.js';
import { join } from 'node:path';
import type { GlobalOptions } from './context.js';
import { positiveInteger } from './option-values.js';

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
    .option('--no-color', 'never colour the output (also: NO_COLOR set, TERM=dumb, output not a terminal)');
}

interface GivenOptions extends Omit<GlobalOptions, 'state'> {
  state?: string;
  color: boolean;
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
    colour: all.color,
    home,
  };
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
