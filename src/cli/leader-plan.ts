/**
 * `plan` asks the leading reconciler first, as Nomad's `job plan` asks its servers: the
 * leader holds the specs, records and tasks a fresh process spends a second reading, and
 * it is the one that would apply the commit, so its plan is the preview. It plans only a
 * commit named by its full id, for its own cluster and job root; any refusal or failure
 * leaves the plan to this process, which also reports a commit's problems.
 */
import type { Plan } from '../plan/types.js';
import { fromPlanDocument, PLAN_DOCUMENT_VERSION, type PlanDocument } from '../plan/wire.js';
import { leaderUrl } from './compose/leader-address.js';
import { localDir } from './compose/local-dir.js';
import { resolveCommit } from './compose/repository.js';
import { zkAuth } from './compose/zookeeper.js';
import type { GlobalOptions } from './global-options.js';
import type { Notice } from './io.js';

/** A plan takes the leader a fraction of a second; a leader that takes this long is not asked to finish. */
const TIMEOUT_MS = 10_000;

export async function planFromLeader(
  options: GlobalOptions,
  ref: string | undefined,
  notice: Notice,
): Promise<Plan | undefined> {
  const [commit, found] = await Promise.all([
    resolveCommit(options, ref),
    leaderUrl({ state: options.state, localDir: localDir(options), auth: zkAuth() }),
  ]);
  if (commit === undefined || 'none' in found) return undefined;
  const query = new URLSearchParams({
    commit,
    cluster: options.cluster,
    path: options.path,
    prune: 'true',
    retry_held: 'false',
  });
  const url = `${found.url.replace(/\/+$/, '')}/api/plan?${query.toString()}`;
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(TIMEOUT_MS) });
    if (response.status !== 200) {
      // 409: not this leader's to plan (another cluster, a commit with problems, busy).
      if (response.status !== 409 && response.status !== 404)
        notice(didNotPlan(`answered ${response.status}`));
      await response.body?.cancel();
      return undefined;
    }
    // A leader of another Borealis version may answer another format: this process plans then.
    const document = (await response.json()) as Partial<PlanDocument>;
    const expected = document.format_version === PLAN_DOCUMENT_VERSION && document.commit === commit;
    return expected && document.cluster === options.cluster
      ? fromPlanDocument(document as PlanDocument)
      : undefined;
  } catch (error) {
    notice(didNotPlan((error as Error).message));
    return undefined;
  }
}

function didNotPlan(why: string): string {
  return `the leading reconciler did not plan (${why}); planning here`;
}
