import type { Client } from 'aedes';
import { GrantedFilters, type GrantedSubscriptions } from './granted-qos.ts';

type Deliver = (packet: { topic: string; qos: number }, done: () => void) => void;

interface ClientInternals {
  deliverQoS: Deliver;
  subscriptions: GrantedSubscriptions;
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

/** Whether a filter granted QoS 2 matches `topic`; a filter equal to it is looked up before the others are matched. */
function grantedQos2(subscriptions: GrantedSubscriptions, topic: string): boolean {
  return subscriptions[topic]?.qos === 2 || new GrantedFilters(subscriptions).highest(topic) === 2;
}
