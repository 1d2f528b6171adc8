import type { Aedes, Client } from 'aedes';

type Deliver = (packet: { qos: number }, done: () => void) => void;

interface DeliveryInternals {
  deliver0: Deliver;
  deliverQoS: Deliver;
}

/** Messages through the broker by QoS: plain counters bumped on the hot path, read when the metrics are scraped. */
export class BrokerTraffic {
  /** PUBLISH packets received from clients, by QoS. */
  readonly received: [number, number, number] = [0, 0, 0];
  /** Messages handed to clients' connections (live and retained), by QoS. */
  readonly sent: [number, number, number] = [0, 0, 0];

  /** Counts every publish a client sends: aedes emits it once routed (the gateway's own publishes have no client). */
  countReceived(aedes: Aedes): void {
    const received = this.received;
    aedes.on('publish', (packet, client) => {
      if (client) received[packet.qos]++;
    });
  }

  /**
   * Counts what aedes delivers to `client`; to be called before anything else wraps its deliveries, so that
   * what a slow subscriber drops is not counted. A QoS 0 message to a QoS 1/2 subscription goes on to
   * `deliver0`, and is counted there.
   */
  countSent(client: Client): void {
    const internals = client as unknown as DeliveryInternals;
    const { deliver0, deliverQoS } = internals;
    const sent = this.sent;
    internals.deliver0 = (packet, done) => {
      sent[0]++;
      deliver0(packet, done);
    };
    internals.deliverQoS = (packet, done) => {
      if (packet.qos === 1 || packet.qos === 2) sent[packet.qos]++;
      deliverQoS(packet, done);
    };
  }
}
