import type { Command } from 'commander';
import type { GlobalOptions } from './context.js';

export function addGlobalOptions(program: Command): Command {
  return program
    .option('--repo <PATH>', 'the Git repository holding the jobs', '.')
    .option('--path <DIR>', 'job root inside the repository', '')
    .option('--branch <NAME>', "tracked branch (default: the repository's current branch)")
    .option('--cluster <NAME>', 'cluster from clusters.yaml to act on', 'local')
    .option('--state <DIR>', 'state directory (records and local sandboxes)', '.borealis');
}

export function globalOptions(command: Command): GlobalOptions {
  const all = command.optsWithGlobals<GlobalOptions>();
  return { repo: all.repo, path: all.path, branch: all.branch, cluster: all.cluster, state: all.state };
}
