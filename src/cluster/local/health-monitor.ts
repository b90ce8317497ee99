/** Runs a probe every `interval_secs` and reports each change of Aurora's health verdict. */
import type { HealthCheckConfig } from '../../jobspec/types.js';
import {
  deadlineExceeded,
  expireDeadline,
  INITIAL_HEALTH,
  recordCheck,
  type HealthState,
  type HealthVerdict,
} from './health-policy.js';
import type { Probe } from './health-probe.js';

export type VerdictListener = (verdict: HealthVerdict, reason: string | undefined) => void;

export class HealthMonitor {
  private state: HealthState = INITIAL_HEALTH;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly config: HealthCheckConfig,
    private readonly probe: Probe,
    private readonly onVerdict: VerdictListener,
  ) {}

  /** Like Aurora, the first check runs at once; the grace period is counted in attempts. */
  start(): void {
    void this.check();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
  }

  private async check(): Promise<void> {
    if (this.stopped) return;
    const before = this.state.verdict;
    if (deadlineExceeded(this.config, this.state)) {
      this.state = expireDeadline(this.state);
    } else {
      const result = await this.probe();
      if (this.stopped) return;
      this.state = recordCheck(this.config, this.state, result);
    }
    if (this.state.verdict !== before) this.onVerdict(this.state.verdict, this.state.reason);
    if (this.state.verdict === 'failed') return;
    this.timer = setTimeout(() => void this.check(), this.config.interval_secs * 1000);
  }
}
