/** Opens everything one reconciliation pass needs, or prints why the commit is invalid and exits 1. */
import { ExitCode } from '../errors.js';
import { planPass, type PassInput } from '../reconciler/reconcile.js';
import type { Plan } from '../plan/types.js';
import { DEFAULT_KILL_WINDOW } from '../plan/guard.js';
import { withKillWindow } from '../reconciler/kill-window.js';
import { DeploymentLog } from '../state/deployments.js';
import { renderPlan } from './render-plan.js';
import { openCluster } from './compose/cluster-choice.js';
import { clusterConfig } from './compose/cluster-config.js';
import { prefetchLeaderView, type LeaderViewPrefetch } from './compose/leader-view-prefetch.js';
import { loadCommit, loadWorkingTree } from './compose/load-commit.js';
import { openRecords } from './compose/open-records.js';
import type { GlobalOptions } from './global-options.js';
import { noticeTo, type Io } from './io.js';
import type { Output } from './output.js';
import { renderProblems } from './problems.js';
import { useColour } from './colour.js';
import type { UncommittedChanges } from '../source/working-tree.js';

/** What a pass reads: a commit (`ref`, else the branch head), or the uncommitted files of the work tree. */
export type PassSource = { ref?: string } | { workingTree: UncommittedChanges };

export interface OpenPass {
  input: PassInput;
  ref: string;
  close(): Promise<void>;
}

export async function openPass(
  options: GlobalOptions,
  source: PassSource,
  output: Output,
  io: Io,
): Promise<OpenPass> {
  const prefetched = prefetchLeaderView(options);
  try {
    return await open(options, source, output, io, prefetched);
  } catch (error) {
    prefetched.cancel(); // a pending request would keep the process alive
    throw error;
  }
}

async function open(
  options: GlobalOptions,
  source: PassSource,
  output: Output,
  io: Io,
  prefetched: LeaderViewPrefetch,
): Promise<OpenPass> {
  const loaded =
    'workingTree' in source
      ? await loadWorkingTree(options, source.workingTree)
      : await loadCommit(options, source.ref);
  const { problems, jobs, clusters } = loaded.repository;
  if (problems.length > 0) {
    io.stdout.write(renderProblems(problems, `${loaded.ref} (${loaded.commit.slice(0, 12)})`, output));
    throw new ExitCode(1);
  }
  const records = await openRecords(options);
  const config = clusterConfig(options, clusters);
  const cluster = openCluster(options, config, records.store, noticeTo(io), prefetched);
  const input: PassInput = { commit: loaded.commit, clusterName: options.cluster, jobs, cluster, records };
  return {
    input,
    ref: loaded.ref,
    close: async () => {
      await cluster.close();
      await records.store.close();
    },
  };
}

/** Opens the pass, plans it, prints the plan, then hands both to `then`; always closes. */
export async function withPrintedPlan(
  options: GlobalOptions,
  flags: { output: Output } & PassSource,
  io: Io,
  then: (pass: OpenPass, planned: Plan) => Promise<void>,
): Promise<void> {
  const pass = await openPass(options, flags, flags.output, io);
  try {
    const { records } = pass.input;
    const plan = await planPass(pass.input);
    // What applying it would meet: the guard also sums recent deployments' kills (default window).
    const guarded = await withKillWindow(
      plan,
      new DeploymentLog(records.store),
      DEFAULT_KILL_WINDOW,
      Infinity,
      Date.now(),
    );
    const planned = withSource(guarded, flags);
    io.stdout.write(renderPlan(planned, flags.output, useColour(io.stdout, options.colour)));
    await then(pass, planned);
  } finally {
    await pass.close();
  }
}

function withSource(planned: Plan, source: PassSource): Plan {
  if (!('workingTree' in source)) return planned;
  const { baseCommit, changedFiles } = source.workingTree;
  return {
    ...planned,
    source: { kind: 'working_tree', base_commit: baseCommit, changed_files: changedFiles },
  };
}
