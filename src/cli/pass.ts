/** Opens everything one reconciliation pass needs, or prints why the commit is invalid and exits 1. */
import { ExitCode } from '../errors.js';
import { planPass, type PassInput } from '../reconciler/reconcile.js';
import type { Plan } from '../plan/types.js';
import { renderPlan } from './render-plan.js';
import {
  clusterConfig,
  loadCommit,
  openCluster,
  openRecords,
  prefetchLeaderView,
  type GlobalOptions,
  type LeaderViewPrefetch,
} from './context.js';
import type { Io } from './io.js';
import type { Output } from './output.js';
import { renderProblems } from './problems.js';
import { useColour } from './colour.js';

export interface OpenPass {
  input: PassInput;
  ref: string;
  close(): Promise<void>;
}

export async function openPass(
  options: GlobalOptions,
  ref: string | undefined,
  output: Output,
  io: Io,
): Promise<OpenPass> {
  const prefetched = prefetchLeaderView(options);
  try {
    return await open(options, ref, output, io, prefetched);
  } catch (error) {
    prefetched.cancel(); // a pending request would keep the process alive
    throw error;
  }
}

async function open(
  options: GlobalOptions,
  ref: string | undefined,
  output: Output,
  io: Io,
  prefetched: LeaderViewPrefetch,
): Promise<OpenPass> {
  const loaded = await loadCommit(options, ref);
  const { problems, jobs, clusters } = loaded.repository;
  if (problems.length > 0) {
    io.stdout.write(renderProblems(problems, `${loaded.ref} (${loaded.commit.slice(0, 12)})`, output));
    throw new ExitCode(1);
  }
  const records = await openRecords(options);
  const cluster = openCluster(options, clusterConfig(options, clusters), records.store, prefetched);
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
  flags: { ref?: string; output: Output },
  io: Io,
  then: (pass: OpenPass, planned: Plan) => Promise<void>,
): Promise<void> {
  const pass = await openPass(options, flags.ref, flags.output, io);
  try {
    const planned = await planPass(pass.input);
    io.stdout.write(renderPlan(planned, flags.output, useColour(io.stdout, options.colour)));
    await then(pass, planned);
  } finally {
    await pass.close();
  }
}
