import type { Sample } from '../../connectors/sdk.ts';
import type { BridgeOutbox } from '../bridge/outbox.ts';

export interface HeldBatch {
  device: string;
  samples: Sample[];
}

const READ_BATCH = 512;

/**
 * Device values held in the store while the primary host application is offline, oldest first: an outbox
 * (the bridges' store-and-forward table) with one row per batch of one device's samples.
 */
export class HeldData {
  constructor(private readonly outbox: BridgeOutbox) {}

  get depth(): number {
    return this.outbox.depth;
  }

  hold(device: string, samples: readonly Sample[]): void {
    this.outbox.append(device, Buffer.from(JSON.stringify(samples, (_key, value: unknown) => (typeof value === 'bigint' ? { $bigint: value.toString() } : value))), false);
  }

  /**
   * Hands every held batch to `send`, oldest first, a read batch at a time; a read batch leaves the store once
   * every `send` of it resolved. Stops, keeping what is not sent, when `stillLive` turns false or a send fails.
   */
  async release(send: (batch: HeldBatch) => Promise<void>, stillLive: () => boolean): Promise<number> {
    let after = this.outbox.floor - 1;
    this.outbox.rewind(after);
    let count = 0;
    for (let entries = this.outbox.read(after, READ_BATCH); entries.length > 0 && stillLive(); entries = this.outbox.read(after, READ_BATCH)) {
      await Promise.all(entries.map((entry) => send({ device: entry.topic, samples: JSON.parse(entry.payload.toString('utf8'), revive) as Sample[] })));
      if (!stillLive()) break;
      after = entries[entries.length - 1]?.seq ?? after;
      this.outbox.acknowledge(after);
      count += entries.length;
    }
    return count;
  }
}

function revive(_key: string, value: unknown): unknown {
  return value !== null && typeof value === 'object' && '$bigint' in value ? BigInt(String((value as { $bigint: unknown }).$bigint)) : value;
}
