import type { Command } from 'commander';
import type { GlobalOptions } from './context.js';

export function addGlobalOptions(program: Command): Command {
  return program
    .option('--repo <PATH>', 'the Git repository holding the jobs', '.')
    .option('--path <DIR>', 'job root inside the repository', '')
    .option('--branch <NAME>', "tracked branch (default: the repository's current branch)")
    .option('--cluster <NAME>', 'cluster from clusters.yaml to act on', 'local')
    .option(
      '--state <DIR|URL>',
      'state: a directory, or zk://host:port[,host:port]/chroot to share it',
      '.borealis',
    )
    .option(
      '--history-limit <N>',
      'deployment records kept; older ones are pruned',
      (value) => Number(value),
      1000,
    );
}

export function globalOptions(command: Command): GlobalOptions {
  const all = command.optsWithGlobals<GlobalOptions>();
  return {
    repo: all.repo,
    path: all.path,
    branch: all.branch,
    cluster: all.cluster,
    state: all.state,
    historyLimit: all.historyLimit,
  };
}
