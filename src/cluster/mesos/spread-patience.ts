/**
 * Offers come back agent by agent as refusal filters expire, so one offer cycle may show only
 * the agents the last launches used, and spreading over what it shows piles a job's instances
 * onto them. A crowded launch (its host already runs an instance of the job) is therefore held
 * back while agents seen in earlier offers are missing from the cycle, for at most
 * `patienceMs` per instance; the caller revives, so the next cycle shows every agent with
 * room. Where there really is no other room, the instance goes crowded once patience ends.
 * An agent missing from `FORGET_AFTER_CYCLES` offer cycles in a row spanning `forgetMs`
 * (removed from the cluster, or full) no longer counts: otherwise every crowded launch would
 * wait for it for ever. Cycles, not time alone: while offers are suppressed between launches
 * there are none, and an agent not offered then has not been shown to be gone.
 */
import type { Launch } from './placement.js';
import type { MesosOffer } from './offer.js';

/** Two allocation rounds of a default Mesos master (allocation_interval is 1 s). */
export const DEFAULT_SPREAD_PATIENCE_MS = 2_000;

/** One instance of one job, whatever its task id. */
export const instanceKey = ({ jobId, instance }: { jobId: string; instance: number }): string =>
  `${jobId}#${instance}`;

/** Six refusal periods of a default master (refuse_seconds is 5): an agent with room offers again well within it. */
export const DEFAULT_FORGET_AGENT_MS = 30_000;
const FORGET_AFTER_CYCLES = 10;

/** When a seen agent last offered, and how many offer cycles it has missed since. */
interface Sighting {
  at: number;
  missedCycles: number;
}

export class SpreadPatience {
  private readonly seenAgents = new Map<string, Sighting>();
  /** When each instance now held was first held. */
  private readonly heldSince = new Map<string, number>();

  constructor(
    private readonly patienceMs = DEFAULT_SPREAD_PATIENCE_MS,
    private readonly forgetMs = DEFAULT_FORGET_AGENT_MS,
  ) {}

  /** The instance keys of `launches` to keep pending this cycle. */
  hold(launches: readonly Launch[], offers: readonly MesosOffer[], now: number): Set<string> {
    const offered = new Set(offers.map((offer) => offer.agent_id.value));
    let missing = 0;
    for (const [agent, sighting] of this.seenAgents) {
      if (offered.has(agent)) continue;
      sighting.missedCycles++;
      if (sighting.missedCycles >= FORGET_AFTER_CYCLES && now - sighting.at >= this.forgetMs)
        this.seenAgents.delete(agent);
      else missing++;
    }
    for (const agent of offered) this.seenAgents.set(agent, { at: now, missedCycles: 0 });
    // More crowded launches than missing agents could take: waiting cannot spread them all,
    // and a large launch would only pay for more offer cycles (seen in the Mesos bench).
    const crowded = launches.filter((launch) => launch.crowded).length;
    const worthWaiting = crowded > 0 && crowded <= missing;
    const held = new Set<string>();
    for (const launch of launches) {
      if (!launch.crowded || !worthWaiting) continue;
      const key = instanceKey(launch.instance);
      const since = this.heldSince.get(key) ?? now;
      if (now - since < this.patienceMs) held.add(key);
    }
    const placed = new Set(launches.map((launch) => instanceKey(launch.instance)));
    for (const key of placed) {
      if (held.has(key)) this.heldSince.set(key, this.heldSince.get(key) ?? now);
      else this.heldSince.delete(key);
    }
    // Kept a while for instances no offer fits meanwhile (they return with patience spent);
    // dropped for good once they are surely killed or launched elsewhere.
    for (const [key, since] of this.heldSince)
      if (!placed.has(key) && now - since >= 10 * this.patienceMs) this.heldSince.delete(key);
    return held;
  }
}
