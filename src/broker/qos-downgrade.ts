import type { Client } from 'aedes';
import { covers, parsePattern } from '../access/topic-pattern.ts';

type Deliver = (packet: { topic: string; qos: number }, done: () => void) => void;

interface ClientInternals {
  deliverQoS: Deliver;
  /** The client's subscriptions by filter, with the QoS granted. */
  subscriptions: Record<string, { qos: number } | undefined>;
}

/**
 * Sends a QoS 2 message at QoS 1 to a client none of whose QoS 2 filters match it [MQTT-3.8.4-6]. aedes picks
 * QoS 1/2 delivery by the subscription's QoS, but downgrades a QoS 2 message only when a filter equals its topic:
 * under `plant/#` granted QoS 1, a QoS 2 message went out at QoS 2. (QoS 0 subscriptions deliver at QoS 0 already;
 * each delivery gets its own packet object, so changing it touches no other client.)
 */
export function downgradeToGrantedQos(client: Client): void {
  const internals = client as unknown as ClientInternals;
  const deliverQoS = internals.deliverQoS;
  internals.deliverQoS = (packet, done) => {
    if (packet.qos === 2 && !grantedQos2(internals.subscriptions, packet.topic)) packet.qos = 1;
    deliverQoS(packet, done);
  };
}

function grantedQos2(subscriptions: ClientInternals['subscriptions'], topic: string): boolean {
  if (subscriptions[topic]?.qos === 2) return true;
  const levels = parsePattern(topic);
  for (const [filter, subscription] of Object.entries(subscriptions)) {
    if (subscription?.qos === 2 && covers(parsePattern(filter), levels)) return true;
  }
  return false;
}
