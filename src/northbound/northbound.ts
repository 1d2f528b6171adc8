import type { DeviceStatusReport, Sample } from '../../connectors/sdk.ts';
import type { Logger } from '../log.ts';

/** What receives the connectors' events: the JSON namespace publisher and device status now, the bridge and Sparkplug B later. */
export interface NorthboundConsumer {
  /** For logs. */
  readonly name: string;
  onSamples?(samples: readonly Sample[]): void;
  onStatus?(report: DeviceStatusReport): void;
}

/**
 * The connectors' events, handed to every consumer in the order they were added, and the latest sample
 * of every tag, which any consumer may read (a Sparkplug birth certificate carries every metric's value).
 * A consumer that throws is logged and does not keep the others from their events.
 */
export class Northbound {
  private readonly consumers: NorthboundConsumer[] = [];
  private readonly latestByTag = new Map<string, Sample>();

  constructor(private readonly log: Logger) {}

  add(consumer: NorthboundConsumer): void {
    this.consumers.push(consumer);
  }

  onSamples(samples: readonly Sample[]): void {
    for (const sample of samples) this.latestByTag.set(sample.tagId, sample);
    for (const consumer of this.consumers) {
      if (consumer.onSamples) this.deliver(consumer, () => consumer.onSamples?.(samples));
    }
  }

  onStatus(report: DeviceStatusReport): void {
    for (const consumer of this.consumers) {
      if (consumer.onStatus) this.deliver(consumer, () => consumer.onStatus?.(report));
    }
  }

  /** The latest sample of a tag (value, quality, status, timestamp), undefined before its first reading. */
  latest(tagId: string): Sample | undefined {
    return this.latestByTag.get(tagId);
  }

  private deliver(consumer: NorthboundConsumer, event: () => void): void {
    try {
      event();
    } catch (error) {
      this.log.error({ consumer: consumer.name, err: (error as Error).message }, 'northbound consumer failed on an event');
    }
  }
}
