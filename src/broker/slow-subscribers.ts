import type { Duplex } from 'node:stream';
import type { Client } from 'aedes';
import { ErrorCodes } from '../errors.ts';

export interface ClientBufferLimits {
  /** Bytes waiting for one client beyond which its live QoS 0 messages are dropped. */
  dropQos0Bytes: number;
  /** Bytes waiting for one client beyond which it is disconnected; a persistent session keeps its QoS 1/2 messages. */
  disconnectBytes: number;
}

export interface SlowSubscriberEvents {
  dropped(client: Client, waitingBytes: number): void;
  disconnected(client: Client, waitingBytes: number): void;
}

type Deliver = (packet: { qos: number; retain: boolean }, done: () => void) => void;

/** Deliveries let go of and not written yet, across all clients: what a flush before a stop waits for. */
export interface Undelivered {
  count: number;
}

interface DeliveryInternals {
  deliver0: Deliver;
  deliverQoS: Deliver;
}

/**
 * Makes a slow subscriber cost only itself. aedes delivers a message to every matching client and calls
 * the publish done (the publisher's PUBACK, and the next packet read from its socket) only once each
 * write has drained: one subscriber that stops reading held up every publisher in the broker until
 * `drainTimeout`. Here a live delivery is started and let go at once, and the bytes waiting for each
 * client are bounded instead: past `dropQos0Bytes` its QoS 0 messages are dropped, past `disconnectBytes`
 * it is disconnected. A client that does not drain at all is still disconnected by aedes' `drainTimeout`.
 *
 * Retained messages sent on SUBSCRIBE keep aedes' own flow control: they pace themselves to the client
 * and hold up no one else, and a new subscriber must get every one of them. So does the replay of a
 * persistent session's queue at connect, which aedes writes without passing through here.
 */
export function boundClientBuffer(client: Client, limits: ClientBufferLimits, events: SlowSubscriberEvents, undelivered: Undelivered): void {
  const internals = client as unknown as DeliveryInternals;
  const conn = client.conn as Duplex;
  const deliver0 = internals.deliver0;
  const deliverQoS = internals.deliverQoS;

  const written = () => {
    undelivered.count--;
  };
  const deliverLive = (deliver: Deliver, threshold: number, overflow: (waiting: number) => void): Deliver =>
    function boundedDelivery(packet, done) {
      if (packet.retain) {
        deliver(packet, done);
        return;
      }
      const waiting = conn.writableLength;
      if (waiting > threshold) overflow(waiting);
      else {
        undelivered.count++;
        deliver(packet, written);
      }
      done();
    };

  internals.deliver0 = deliverLive(deliver0, limits.dropQos0Bytes, (waiting) => events.dropped(client, waiting));
  internals.deliverQoS = deliverLive(deliverQoS, limits.disconnectBytes, (waiting) => {
    if (conn.destroyed) return;
    events.disconnected(client, waiting);
    conn.destroy(Object.assign(new Error(`the client stopped reading: ${waiting} bytes waiting`), { code: ErrorCodes.SLOW_SUBSCRIBER }));
  });
}
