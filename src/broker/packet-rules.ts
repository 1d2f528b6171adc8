import type { IConnectPacket, IPublishPacket, ISubscribePacket, IUnsubscribePacket, Packet } from 'mqtt-packet';
import { topicFilterProblem, topicNameProblem } from '../../schemas/topic-rules.ts';

/**
 * MQTT 3.1.1 rules a server enforces by closing the connection, checked on each parsed packet before
 * aedes sees it. mqtt-packet already refuses malformed headers, flags and lengths; these are the rules it
 * leaves to the server, case by case as Mosquitto enforces them.
 */

function connectProblem(packet: IConnectPacket): string | undefined {
  if (packet.password !== undefined && packet.username === undefined) return 'a password without a user name [MQTT-3.1.2-22]';
  const will = packet.will;
  if (will === undefined || will === null) return undefined;
  if ((will.qos ?? 0) > 2) return 'the will QoS is 3 [MQTT-3.1.2-14]';
  const problem = topicNameProblem(will.topic);
  return problem === undefined ? undefined : `will: ${problem}`;
}

function publishProblem(packet: IPublishPacket): string | undefined {
  if (packet.qos > 0 && packet.messageId === 0) return 'a QoS 1 or 2 PUBLISH with packet identifier 0 [MQTT-2.3.1-1]';
  if (packet.qos === 0 && packet.dup) return 'a QoS 0 PUBLISH with the DUP flag set [MQTT-3.3.1-2]';
  return topicNameProblem(packet.topic);
}

function filtersProblem(filters: readonly string[]): string | undefined {
  for (const filter of filters) {
    const problem = topicFilterProblem(filter);
    if (problem !== undefined) return problem;
  }
  return undefined;
}

function subscribeProblem(packet: ISubscribePacket): string | undefined {
  if (packet.messageId === 0) return 'a SUBSCRIBE with packet identifier 0 [MQTT-2.3.1-1]';
  return filtersProblem(packet.subscriptions.map((subscription) => subscription.topic));
}

function unsubscribeProblem(packet: IUnsubscribePacket): string | undefined {
  if (packet.messageId === 0) return 'an UNSUBSCRIBE with packet identifier 0 [MQTT-2.3.1-1]';
  return filtersProblem(packet.unsubscriptions);
}

/** Why the server must close the connection over `packet`, or undefined when it is acceptable. */
export function protocolViolation(packet: Packet): string | undefined {
  switch (packet.cmd) {
    case 'connect':
      return connectProblem(packet);
    case 'publish':
      return publishProblem(packet);
    case 'subscribe':
      return subscribeProblem(packet);
    case 'unsubscribe':
      return unsubscribeProblem(packet);
    case 'puback':
    case 'pubrec':
    case 'pubrel':
    case 'pubcomp':
      return packet.messageId === 0 ? `a ${packet.cmd.toUpperCase()} with packet identifier 0 [MQTT-2.3.1-1]` : undefined;
    default:
      return undefined;
  }
}
