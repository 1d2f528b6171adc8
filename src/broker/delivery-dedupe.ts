import type { Client } from 'aedes';

type Deliver = (packet: DeliveredPacket, done: () => void) => void;

interface DeliveredPacket {
  brokerId?: string | null;
  brokerCounter?: number;
}

interface DedupingClient {
  deliver0: Deliver;
  deliverQoS: Deliver;
  /** aedes' per-client record of the highest counter delivered, by broker id. */
  duplicates: Record<string, number>;
}

/**
 * aedes numbers a publish when it takes it, then stores it (retained, queued for sessions) before it routes
 * it, and drops any delivery whose number is not above the last one the client got. A QoS 0 publish skips
 * the store, so it can overtake a QoS 1 one taken just before it: a client subscribed to both topics would
 * then lose the QoS 1 message. Here a delivery is dropped only when it is the same message as the one just
 * delivered to this client (one message matching two of its subscriptions, delivered back to back); aedes'
 * own check is kept from dropping the rest. Installed before the client can subscribe.
 */
export function dedupeOnlyRepeats(client: Client): void {
  const target = client as unknown as DedupingClient;
  let lastPacket: DeliveredPacket | undefined;
  let lastId: string | undefined;
  let lastCounter: number | undefined;
  const wrap =
    (deliver: Deliver): Deliver =>
    (packet, done) => {
      const id = packet.brokerId;
      // The same packet object again is aedes' deliverQoS handing a QoS 0 message to deliver0.
      if (id && packet !== lastPacket) {
        if (id === lastId && packet.brokerCounter === lastCounter) {
          setImmediate(done);
          return;
        }
        lastId = id;
        lastCounter = packet.brokerCounter;
        target.duplicates[id] = 0;
      }
      lastPacket = packet;
      deliver(packet, done);
    };
  target.deliver0 = wrap(target.deliver0);
  target.deliverQoS = wrap(target.deliverQoS);
}
