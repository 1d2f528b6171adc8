import { Buckets } from '../shared/buckets.ts';
import { READ_LATENCY_BUCKETS_MS, type DeviceStats } from './sdk.ts';

const REPORT_EVERY_MS = 1000;

/** What one device did since its last report. */
class Period {
  reads = 0;
  errors: Record<string, number> = {};
  readonly latency = new Buckets(READ_LATENCY_BUCKETS_MS);
  lastSuccess: number | undefined;
  changed = false;
}

/**
 * Counts a connector's reads and errors per device, and sends them on as DeviceStats at most once a
 * second, every device's in one message: a few additions per read in the worker, one small message a
 * second to the gateway.
 */
export class ReadStats {
  private readonly periods = new Map<string, Period>();
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly send: (reports: DeviceStats[]) => void) {
    this.timer = setInterval(() => this.flush(), REPORT_EVERY_MS);
    this.timer.unref();
  }

  /** A read answered; `latencyMs` when it was timed. */
  read(device: string, latencyMs?: number): void {
    const period = this.period(device);
    period.reads++;
    period.lastSuccess = Date.now();
    if (latencyMs !== undefined) period.latency.observe(latencyMs);
  }

  /** A read or a connection attempt failed with `code`. */
  failed(device: string, code: string): void {
    const period = this.period(device);
    period.errors[code] = (period.errors[code] ?? 0) + 1;
  }

  /** Sends what every device did since its last report, and starts a new period. */
  flush(): void {
    const reports: DeviceStats[] = [];
    for (const [device, period] of this.periods) {
      if (!period.changed) continue;
      reports.push({
        device,
        reads: period.reads,
        errors: period.errors,
        latencyBuckets: [...period.latency.counts],
        latencySumMs: period.latency.sum,
        ...(period.lastSuccess === undefined ? {} : { lastSuccess: period.lastSuccess }),
      });
      period.reads = 0;
      period.errors = {};
      period.latency.clear();
      period.lastSuccess = undefined;
      period.changed = false;
    }
    if (reports.length > 0) this.send(reports);
  }

  /** Sends the last counts and stops reporting. */
  stop(): void {
    clearInterval(this.timer);
    this.flush();
  }

  private period(device: string): Period {
    let period = this.periods.get(device);
    if (period === undefined) {
      period = new Period();
      this.periods.set(device, period);
    }
    period.changed = true;
    return period;
  }
}
