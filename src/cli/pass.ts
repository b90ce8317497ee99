/** Opens everything one reconciliation pass needs, or prints why the commit is invalid and exits 1. */
import { ExitCode } from '../errors.js';
import type { PassInput } from '../reconciler/reconcile.js';
import { clusterConfig, loadCommit, openCluster, openRecords, type GlobalOptions } from './context.js';
import type { Io } from './io.js';
import type { Output } from './output.js';
import { renderProblems } from './problems.js';

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
  const loaded = await loadCommit(options, ref);
  const { problems, jobs, clusters } = loaded.repository;
  if (problems.length > 0) {
    io.stdout.write(renderProblems(problems, `${loaded.ref} (${loaded.commit.slice(0, 12)})`, output));
    throw new ExitCode(1);
  }
  const cluster = openCluster(options, clusterConfig(options, clusters));
  const records = await openRecords(options);
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
