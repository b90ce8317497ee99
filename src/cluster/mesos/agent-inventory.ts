/**
 * The agents a master reports, for the plan's placement warnings. GET_AGENTS on a large
 * cluster is a large answer and slow from a busy master: asked on every plan it was most
 * of a one-job commit's time. Agents join and leave far more
 * rarely than commits land, so a recent listing is reused. When this framework's own
 * tasks start or end, what the agents have allocated changes: the listing is refreshed
 * in the background shortly after, so the next plan still finds a fresh one. A listing
 * that is merely old is used at once while a refresh runs: a warning is advice, and a
 * one-job commit's whole plan is meant to take less than a GET_AGENTS from a busy master.
 * A plan waits (briefly) only for a listing whose allocations it knows to be out of date,
 * and the driver lists the agents as soon as it subscribes, so the first plan need not.
 */
import type { OperatorAgent } from './operator-types.js';

export interface AgentInventoryOptions {
  fetch: (master: string) => Promise<OperatorAgent[]>;
  now?: () => number;
  /** A listing younger than this is used without asking (default 30 s). */
  freshMs?: number;
  /** How long to wait for a refresh of out-of-date allocations before using them anyway (default 250 ms). */
  patienceMs?: number;
  /** How long after the last allocation change the listing is refreshed (default 1 s). */
  settleMs?: number;
}

interface Listing {
  master: string;
  at: number;
  agents: OperatorAgent[];
  /** This framework started or ended tasks since: what the agents have free is out of date. */
  allocationsChanged: boolean;
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
    if (!known) return this.refresh(master);
    const old = this.now() - known.at >= (this.options.freshMs ?? 30_000);
    if (!old && !known.allocationsChanged) return known.agents;
    // A failed or slow refresh leaves the older listing to answer; the next plan asks again.
    const refresh = this.refresh(master).catch(() => known.agents);
    if (!known.allocationsChanged) return known.agents;
    let timer: NodeJS.Timeout | undefined;
    const patience = new Promise<OperatorAgent[]>((resolve) => {
      timer = setTimeout(() => resolve(known.agents), this.options.patienceMs ?? 250);
    });
    return Promise.race([refresh, patience]).finally(() => clearTimeout(timer));
  }

  /** Lists the agents in the background, so the first plan does not wait for them. */
  prime(master: string): void {
    if (this.listing?.master !== master) void this.refresh(master).catch(() => undefined);
  }

  /** This framework launched or ended tasks: the listing's allocations are out of date. */
  allocationChanged(): void {
    const listing = this.listing;
    if (!listing) return; // nothing to refresh until a plan first asks
    listing.allocationsChanged = true;
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
      this.listing = { master, at: this.now(), agents: listed, allocationsChanged: false };
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
