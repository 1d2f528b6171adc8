import type { Duplex } from 'node:stream';
import type { Client } from 'aedes';
import type { GatewayConfig } from '../../schemas/gateway.ts';
import { ErrorCodes } from '../../shared/errors.ts';

type SlowSubscriberConfig = GatewayConfig['broker']['slowSubscriber'];

/**
 * What may wait for one client, in bytes and in messages: a small message costs far more memory while it
 * waits (its packet, its write request, its callback) than its bytes.
 */
export interface ClientBufferLimits {
  /** Beyond these, the client's live QoS 0 messages are dropped. */
  dropQos0Bytes: number;
  dropQos0Messages: number;
  /** Beyond these, the client is disconnected; a persistent session keeps its QoS 1/2 messages. */
  disconnectBytes: number;
  disconnectMessages: number;
}

/**
 * The limits, with the message counts left unset in the config sized to the namespace: every tag publishes its
 * first value at a start, in one burst, and a QoS 1 subscriber to `#` that reads more slowly than the gateway
 * publishes (MQTT.js, Node-RED) falls behind by that whole burst for a moment. With 50,000 tags, the fixed
 * 20,000 disconnected it at every start.
 */
export function clientBufferLimits(config: SlowSubscriberConfig, namespaceSize: number): ClientBufferLimits {
  const burst = 2 * namespaceSize;
  return {
    dropQos0Bytes: config.dropQos0Bytes,
    dropQos0Messages: config.dropQos0Messages ?? Math.max(10_000, burst),
    disconnectBytes: config.disconnectBytes,
    disconnectMessages: config.disconnectMessages ?? Math.max(20_000, burst),
  };
}

/** What waits for one client: bytes buffered on its connection, and messages written to it since it filled up. */
export interface Waiting {
  bytes: number;
  messages: number;
}

export interface SlowSubscriberEvents {
  dropped(client: Client, waiting: Waiting): void;
  disconnected(client: Client, waiting: Waiting): void;
}

type Deliver = (packet: { qos: number; retain: boolean }, done: () => void) => void;

/** Deliveries let go of and not written yet, across all clients: what a flush before a stop waits for. */
export interface Undelivered {
  count: number;
}

interface DeliveryInternals {
  deliver0: Deliver;
  deliverQoS: Deliver;
  /** aedes' callbacks of the writes made while the connection was full, called on its next drain. */
  _pendingDrains?: unknown[];
}

/**
 * Makes a slow subscriber cost only itself. aedes completes a publish (the publisher's PUBACK, and the
 * next packet read from its socket) only once every matching client's write has drained, so one client
 * that stops reading would hold up every publisher. Here a live delivery is started and completed at
 * once, and what waits for each client is bounded instead (bytes on its connection, and messages written
 * since it filled up, checked before each delivery): past the QoS 0 limits its QoS 0 messages are
 * dropped, past the disconnect limits it is disconnected. A client that does not drain at all is
 * disconnected by aedes' `drainTimeout`.
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
  const deliverLive = (deliver: Deliver, bytes: number, most: number, overflow: (waiting: Waiting) => void): Deliver =>
    function boundedDelivery(packet, done) {
      if (packet.retain) {
        deliver(packet, done);
        return;
      }
      const waiting = conn.writableLength;
      // With drainTimeout 0, aedes waits on the connection's own 'drain' event instead.
      const messages = internals._pendingDrains?.length || conn.listenerCount('drain');
      if (waiting > bytes || messages > most) overflow({ bytes: waiting, messages });
      else {
        undelivered.count++;
        deliver(packet, written);
      }
      done();
    };

  internals.deliver0 = deliverLive(deliver0, limits.dropQos0Bytes, limits.dropQos0Messages, (waiting) => events.dropped(client, waiting));
  internals.deliverQoS = deliverLive(deliverQoS, limits.disconnectBytes, limits.disconnectMessages, (waiting) => {
    if (conn.destroyed) return;
    events.disconnected(client, waiting);
    const reason = `the client stopped reading: ${waiting.messages} messages, ${waiting.bytes} bytes waiting`;
    conn.destroy(Object.assign(new Error(reason), { code: ErrorCodes.SLOW_SUBSCRIBER }));
  });
}
