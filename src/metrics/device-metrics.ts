import type { Registry } from 'prom-client';
import { deviceOfTagId, READ_LATENCY_BUCKETS_MS, type DeviceState, type DeviceStats, type DeviceStatusReport, type Sample } from '../../connectors/sdk.ts';
import { Buckets } from '../../shared/buckets.ts';
import type { NorthboundConsumer } from '../northbound/northbound.ts';
import type { WriteObserver } from '../writes/write-service.ts';
import { BucketHistogram } from './bucket-histogram.ts';
import { collectedCounter, collectedGauge, type Series } from './collected.ts';

const STATES: readonly DeviceState[] = ['connecting', 'connected', 'error'];

/** What the gateway knows of one device, kept as plain numbers and read when scraped. */
class DeviceCounts {
  state: DeviceState | undefined;
  reads = 0;
  readonly errors = new Map<string, number>();
  readonly latency = new Buckets(READ_LATENCY_BUCKETS_MS);
  /** Epoch ms of the last successful read. */
  lastSuccess: number | undefined;
  samples = 0;
  writesOk = 0;
  readonly writesRefused = new Map<string, number>();
}

function add(counts: Map<string, number>, key: string, value = 1): void {
  counts.set(key, (counts.get(key) ?? 0) + value);
}

/**
 * The per-device metrics: the connectors' status and samples (as a northbound consumer), their read
 * counts (DeviceStats, at most once a second per device), and the outcome of every write.
 */
export class DeviceMetrics implements NorthboundConsumer, WriteObserver {
  readonly name = 'metrics';
  private readonly devices = new Map<string, DeviceCounts>();
  /** Writes refused before they named a known tag, by code. */
  private readonly refusedUnnamed = new Map<string, number>();

  constructor(registry: Registry) {
    const labels = ['device'];
    collectedGauge(registry, { name: 'uns_device_state', help: 'Connection state: 1 for the state the device is in, 0 for the others', labelNames: ['device', 'state'] }, () =>
      [...this.devices].flatMap(([device, { state }]) => (state === undefined ? [] : STATES.map((s): Series => [{ device, state: s }, s === state ? 1 : 0]))),
    );
    const reads = 'Read requests the device answered (Modbus), or value changes it sent (OPC UA)';
    collectedCounter(registry, { name: 'uns_device_reads_total', help: reads, labelNames: labels }, () => this.each((c) => c.reads));
    const errors = 'Failed reads and connection attempts, by error code';
    collectedCounter(registry, { name: 'uns_device_errors_total', help: errors, labelNames: ['device', 'code'] }, () => this.byCode((c) => c.errors));
    const latency = { name: 'uns_device_read_duration_seconds', help: 'Time from a read request to its answer', labelNames: labels };
    new BucketHistogram(registry, latency, READ_LATENCY_BUCKETS_MS, () => [...this.devices].map(([device, c]) => ({ labels: { device }, buckets: c.latency })));
    const lastSuccess = { name: 'uns_device_last_success_timestamp_seconds', help: 'Unix time of the last successful read', labelNames: labels };
    collectedGauge(registry, lastSuccess, () => this.each((c) => (c.lastSuccess === undefined ? undefined : c.lastSuccess / 1000)));
    const samples = 'Samples (changed values and bad readings) the device\'s connector delivered to the namespace';
    collectedCounter(registry, { name: 'uns_device_samples_total', help: samples, labelNames: labels }, () => this.each((c) => c.samples));
    collectedCounter(registry, { name: 'uns_device_writes_total', help: 'Writes done and read back', labelNames: labels }, () => this.each((c) => c.writesOk));
    const refused = 'Writes refused or failed, by error code (no device: the command named no known tag)';
    collectedCounter(registry, { name: 'uns_device_writes_refused_total', help: refused, labelNames: ['device', 'code'] }, () => [
      ...this.byCode((c) => c.writesRefused),
      ...[...this.refusedUnnamed].map(([code, value]): Series => [{ device: '', code }, value]),
    ]);
  }

  onStatus(report: DeviceStatusReport): void {
    this.device(report.device).state = report.state;
  }

  /** A removed device's series go: a scrape shows the devices that exist (one added back starts from zero). */
  onDevicesRemoved(devices: readonly string[]): void {
    for (const device of devices) this.devices.delete(device);
  }

  onSamples(samples: readonly Sample[]): void {
    // A batch is mostly one device's: a tag id is only checked for its device's prefix, with no string cut per sample.
    let prefix = '';
    let counts: DeviceCounts | undefined;
    for (const sample of samples) {
      if (counts === undefined || !sample.tagId.startsWith(prefix)) {
        const device = deviceOfTagId(sample.tagId);
        prefix = `${device}/`;
        counts = this.device(device);
      }
      counts.samples++;
    }
  }

  onStats(reports: readonly DeviceStats[]): void {
    for (const report of reports) {
      const counts = this.device(report.device);
      counts.reads += report.reads;
      for (const [code, count] of Object.entries(report.errors)) add(counts.errors, code, count);
      counts.latency.add(report.latencyBuckets, report.latencySumMs);
      if (report.lastSuccess !== undefined) counts.lastSuccess = report.lastSuccess;
    }
  }

  onWrite(device: string | undefined, code: string | undefined): void {
    if (device === undefined) {
      if (code !== undefined) add(this.refusedUnnamed, code);
      return;
    }
    const counts = this.device(device);
    if (code === undefined) counts.writesOk++;
    else add(counts.writesRefused, code);
  }

  private device(name: string): DeviceCounts {
    let counts = this.devices.get(name);
    if (counts === undefined) {
      counts = new DeviceCounts();
      this.devices.set(name, counts);
    }
    return counts;
  }

  /** One series per device that has a value. */
  private each(value: (counts: DeviceCounts) => number | undefined): Series[] {
    return [...this.devices].flatMap(([device, counts]): Series[] => {
      const v = value(counts);
      return v === undefined ? [] : [[{ device }, v]];
    });
  }

  private byCode(map: (counts: DeviceCounts) => Map<string, number>): Series[] {
    return [...this.devices].flatMap(([device, counts]) => [...map(counts)].map(([code, value]): Series => [{ device, code }, value]));
  }
}
