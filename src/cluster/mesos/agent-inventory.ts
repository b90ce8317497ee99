/**
 * The agents a master reports, for the plan's placement warnings. GET_AGENTS at 1,000
 * agents is a megabyte of JSON and, from a busy master, took seconds here: asked on
 * every plan it was most of a one-job commit's time. Agents join and leave far more
 * rarely than commits land, so a recent listing is reused. When this framework's own
 * tasks start or end, what the agents have allocated changes: the listing is refreshed
 * in the background shortly after, so the next plan still finds a fresh one. An older
 * listing is used only if the master is slow to answer, because a warning is advice.
 */
import type { OperatorAgent } from './operator-types.js';

export interface AgentInventoryOptions {
  fetch: (master: string) => Promise<OperatorAgent[]>;
  now?: () => number;
  /** A listing younger than this is used without asking (default 30 s). */
  freshMs?: number;
  /** How long to wait for a refresh before falling back to an older listing (default 250 ms). */
  patienceMs?: number;
  /** How long after the last allocation change the listing is refreshed (default 1 s). */
  settleMs?: number;
}

interface Listing {
  master: string;
  at: number;
  agents: OperatorAgent[];
}

export class AgentInventory {
  private listing: Listing | undefined;
  private refreshing: { master: string; agents: Promise<OperatorAgent[]> } | undefined;
  private readonly now: () => number;
  private settleTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: AgentInventoryOptions) {
    this.now = options.now ?? Date.now;
  }

  async agents(master: string): Promise<OperatorAgent[]> {
    const known = this.listing?.master === master ? this.listing : undefined;
    if (known && this.now() - known.at < (this.options.freshMs ?? 30_000)) return known.agents;
    const refresh = this.refresh(master);
    if (!known) return refresh;
    let timer: NodeJS.Timeout | undefined;
    const patience = new Promise<OperatorAgent[]>((resolve) => {
      timer = setTimeout(() => resolve(known.agents), this.options.patienceMs ?? 250);
    });
    // A failed or slow refresh leaves the older listing to answer; the next plan asks again.
    return Promise.race([refresh.catch(() => known.agents), patience]).finally(() => clearTimeout(timer));
  }

  /** This framework launched or ended tasks: the listing's allocations are out of date. */
  allocationChanged(): void {
    const listing = this.listing;
    if (!listing) return; // nothing to refresh until a plan first asks
    listing.at = Number.NEGATIVE_INFINITY;
    clearTimeout(this.settleTimer);
    this.settleTimer = setTimeout(
      () => void this.refresh(listing.master).catch(() => undefined),
      this.options.settleMs ?? 1_000,
    );
    this.settleTimer.unref();
  }

  close(): void {
    clearTimeout(this.settleTimer);
  }

  /** One request at a time: plans that overlap share it. */
  private refresh(master: string): Promise<OperatorAgent[]> {
    if (this.refreshing?.master === master) return this.refreshing.agents;
    const agents = this.options.fetch(master).then((listed) => {
      this.listing = { master, at: this.now(), agents: listed };
      return listed;
    });
    const entry = { master, agents };
    this.refreshing = entry;
    void agents
      .finally(() => {
        if (this.refreshing === entry) this.refreshing = undefined;
      })
      .catch(() => undefined);
    return agents;
  }
}
