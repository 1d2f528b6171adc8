/**
 * The broker's own pace for figure 1b: the same publisher into the same gateway, on topics no bridge
 * forwards (other/…: no outbox append, and no journal write for QoS 1 since nothing durable takes
 * them). QoS 1: first publish to the last PUBACK. QoS 0: first publish to the PUBACK of one QoS 1
 * publish sent after the last, which the gateway handles after every one before it from that client.
 */
import type { MqttClient } from 'mqtt';
import { payloadOf } from './messages.ts';
import { flood } from './publisher.ts';

export interface BrokerPace {
  qos0Ms: number;
  qos1Ms: number;
}

const ROOT = 'other';

export async function brokerPace(client: MqttClient, messages: number, window: number): Promise<BrokerPace> {
  const qos0 = await flood(client, 0, messages, 0, window, ROOT);
  await client.publishAsync(`${ROOT}/fence`, payloadOf(0), { qos: 1 });
  const qos0Ms = performance.now() - qos0.startedAt;
  const qos1 = await flood(client, 0, messages, 1, window, ROOT);
  return { qos0Ms, qos1Ms: qos1.ms };
}
