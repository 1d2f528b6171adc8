/**
 * MQTT.js publishers of the bench's messages (messages.ts). `flood` sends as fast as the broker takes
 * them: at QoS 1 with at most `window` unacknowledged, at QoS 0 with at most `window` not yet written to
 * the socket (MQTT.js calls back once a packet is handed to the socket, or after its 'drain'), so that
 * TCP's flow control is the pace. `paced` sends at a fixed rate, stamping each payload with
 * performance.now().
 */
import type { MqttClient } from 'mqtt';
import { payloadOf, topicOf } from './messages.ts';

export interface FloodResult {
  /** First publish to the last callback (QoS 1: the last PUBACK; QoS 0: the last write). */
  ms: number;
  startedAt: number;
}

/** `root`: the first topic level (bench: forwarded; anything else: not). */
export function flood(client: MqttClient, first: number, count: number, qos: 0 | 1, window: number, root?: string): Promise<FloodResult> {
  return new Promise((resolve, reject) => {
    const startedAt = performance.now();
    let sent = 0;
    let done = 0;
    let pumping = false;
    let failed = false;
    const pump = (): void => {
      // MQTT.js may call back synchronously (a QoS 0 write the socket took at once): no recursion then.
      if (pumping || failed) return;
      pumping = true;
      while (sent < count && sent - done < window) {
        const seq = first + sent++;
        client.publish(topicOf(seq, root), payloadOf(seq), { qos }, callback);
      }
      pumping = false;
    };
    const callback = (error?: Error): void => {
      if (failed) return;
      if (error) {
        failed = true;
        reject(error);
        return;
      }
      done++;
      if (done === count) resolve({ ms: performance.now() - startedAt, startedAt });
      else pump();
    };
    pump();
  });
}

export interface PacedResult {
  sent: number;
  errors: number;
}

/** Publishes at `rate` messages a second for `durationMs`, sequence numbers from `first`. */
export function paced(client: MqttClient, first: number, rate: number, durationMs: number, qos: 0 | 1): Promise<PacedResult> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    let sent = 0;
    let errors = 0;
    const onError = (error?: Error): void => {
      if (error) errors++;
    };
    const timer = setInterval(() => {
      const elapsed = performance.now() - t0;
      const due = Math.min(Math.floor((rate * elapsed) / 1000), Math.floor((rate * durationMs) / 1000));
      while (sent < due) {
        const seq = first + sent++;
        client.publish(topicOf(seq), payloadOf(seq, performance.now()), { qos }, onError);
      }
      if (elapsed >= durationMs) {
        clearInterval(timer);
        resolve({ sent, errors });
      }
    }, 2);
  });
}
