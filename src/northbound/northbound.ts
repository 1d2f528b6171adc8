import { deviceOfTagId, type DeviceStatusReport, type Sample } from '../../connectors/sdk.ts';
import type { Logger } from '../log.ts';

/** What receives the connectors' events: the JSON namespace publisher and device status now, the bridge and Sparkplug B later. */
export interface NorthboundConsumer {
  /** For logs. */
  readonly name: string;
  onSamples?(samples: readonly Sample[]): void;
  onStatus?(report: DeviceStatusReport): void;
  /** A reload removed these devices: nothing more comes from them, and what is kept of them goes. */
  onDevicesRemoved?(devices: readonly string[]): void;
}

/**
 * The connectors' events, handed to every consumer in the order they were added, and the latest sample
 * of every tag, which any consumer may read (a Sparkplug birth certificate carries every metric's value).
 * A consumer that throws is logged and does not keep the others from their events.
 */
export class Northbound {
  private readonly consumers: NorthboundConsumer[] = [];
  /**
   * One record per tag, updated in place: a sample kept until its tag's next one lives long enough to be
   * promoted out of the young generation, and one per value was a fifth of what the main thread promoted
   * (a sampling heap profile of `bench:namespace`).
   */
  private readonly latestByTag = new Map<string, KeptSample>();

  constructor(private readonly log: Logger) {}

  add(consumer: NorthboundConsumer): void {
    this.consumers.push(consumer);
  }

  onSamples(samples: readonly Sample[]): void {
    for (const sample of samples) {
      const kept = this.latestByTag.get(sample.tagId);
      if (kept === undefined) this.latestByTag.set(sample.tagId, keptOf(sample));
      else keep(kept, sample);
    }
    for (const consumer of this.consumers) {
      if (consumer.onSamples) this.deliver(consumer, () => consumer.onSamples?.(samples));
    }
  }

  onStatus(report: DeviceStatusReport): void {
    for (const consumer of this.consumers) {
      if (consumer.onStatus) this.deliver(consumer, () => consumer.onStatus?.(report));
    }
  }

  /**
   * Forgets the latest samples of the devices a reload removed (a device added back later starts from its
   * first reading, not from a value of before), then tells every consumer.
   */
  devicesRemoved(devices: readonly string[]): void {
    if (devices.length === 0) return;
    const removed = new Set(devices);
    for (const tagId of this.latestByTag.keys()) if (removed.has(deviceOfTagId(tagId))) this.latestByTag.delete(tagId);
    for (const consumer of this.consumers) {
      if (consumer.onDevicesRemoved) this.deliver(consumer, () => consumer.onDevicesRemoved?.(devices));
    }
  }

  /** The latest sample of a tag (value, quality, status, timestamp), undefined before its first reading. */
  latest(tagId: string): Sample | undefined {
    const kept = this.latestByTag.get(tagId);
    return kept && copyOf(kept);
  }

  private deliver(consumer: NorthboundConsumer, event: () => void): void {
    try {
      event();
    } catch (error) {
      this.log.error({ consumer: consumer.name, err: (error as Error).message }, 'northbound consumer failed on an event');
    }
  }
}

/** A tag's latest sample as kept: every field present, so that each update keeps the record's shape. */
type KeptSample = Required<Omit<Sample, 'status' | 'unit'>> & { status: string | undefined; unit: string | undefined };

function keptOf(sample: Sample): KeptSample {
  return { tagId: sample.tagId, value: sample.value, quality: sample.quality, status: sample.status, timestamp: sample.timestamp, unit: sample.unit };
}

function keep(kept: KeptSample, sample: Sample): void {
  kept.value = sample.value;
  kept.quality = sample.quality;
  kept.status = sample.status;
  kept.timestamp = sample.timestamp;
  kept.unit = sample.unit;
}

/** A copy for the caller, with the optional fields only when they are set. */
function copyOf(kept: KeptSample): Sample {
  const sample: Sample = { tagId: kept.tagId, value: kept.value, quality: kept.quality, timestamp: kept.timestamp };
  if (kept.status !== undefined) sample.status = kept.status;
  if (kept.unit !== undefined) sample.unit = kept.unit;
  return sample;
}
