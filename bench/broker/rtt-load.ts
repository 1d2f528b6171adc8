import type { MqttClient } from 'mqtt';
import { performance } from 'node:perf_hooks';
import { connectClient } from '../shared/mqtt-clients.ts';
import type { LoadConfig } from './protocol.ts';

export interface RttRound {
  latenciesMs: number[];
  elapsedMs: number;
  timedOut: boolean;
}

const ACKED = 1;
const RECEIVED = 2;

/**
 * QoS 1 round trip: one client publishes QoS 1 to a topic that a second client
 * subscribes to at QoS 1. A message is complete when the publisher got its
 * PUBACK and the subscriber got the message; at most `window` messages are
 * incomplete at any time (1 = strictly one at a time). Latency is measured
 * from the publish call to the subscriber's receipt.
 */
export class RttLoad {
  private roundListener: ((payload: Buffer) => void) | null = null;
  private roundId = 0;

  private constructor(
    private readonly cfg: LoadConfig,
    readonly clients: MqttClient[],
    private readonly pub: MqttClient,
    private readonly topic: string,
  ) {
    const sub = clients[0];
    sub?.on('message', (_topic, payload) => this.roundListener?.(payload));
  }

  static async connect(cfg: LoadConfig): Promise<RttLoad> {
    const topic = `${cfg.topicPrefix}/rtt`;
    const sub = await connectClient(cfg.host, cfg.port, 'rtt-sub', cfg.credentials);
    await sub.subscribeAsync(topic, { qos: 1 });
    const pub = await connectClient(cfg.host, cfg.port, 'rtt-pub', cfg.credentials);
    return new RttLoad(cfg, [sub, pub], pub, topic);
  }

  run(total: number, timeoutMs: number): Promise<RttRound> {
    const roundId = ++this.roundId & 0xff;
    const window = Math.max(1, this.cfg.window);
    const size = Math.max(5, this.cfg.payloadBytes);
    const startedAt = new Float64Array(total);
    const latencies: number[] = [];
    const state = new Uint8Array(total);
    let sent = 0;
    let done = 0;
    const start = performance.now();

    return new Promise<RttRound>((resolve, reject) => {
      let finished = false;
      const finish = (timedOut: boolean): void => {
        if (finished) return;
        finished = true;
        this.roundListener = null;
        clearTimeout(timer);
        resolve({ latenciesMs: latencies, elapsedMs: performance.now() - start, timedOut });
      };
      const timer = setTimeout(() => finish(true), timeoutMs);

      const mark = (seq: number, bit: number): void => {
        const before = state[seq] ?? 0;
        if ((before & bit) !== 0) return; // duplicate delivery
        state[seq] = before | bit;
        if ((before | bit) !== (ACKED | RECEIVED)) return;
        done++;
        if (done >= total) finish(false);
        else pump();
      };

      const pump = (): void => {
        while (sent < total && sent - done < window) {
          const seq = sent++;
          const payload = Buffer.alloc(size, 0x61);
          payload.writeUInt8(roundId, 0);
          payload.writeUInt32BE(seq, 1);
          startedAt[seq] = performance.now();
          this.pub.publish(this.topic, payload, { qos: 1 }, (err) => {
            if (err) {
              finished = true;
              clearTimeout(timer);
              reject(err);
            } else if (!finished) {
              mark(seq, ACKED);
            }
          });
        }
      };

      this.roundListener = (payload): void => {
        if (payload.length < 5 || payload.readUInt8(0) !== roundId) return;
        const seq = payload.readUInt32BE(1);
        if (seq >= total) return;
        if ((state[seq] ?? 0) & RECEIVED) return;
        latencies.push(performance.now() - (startedAt[seq] ?? 0));
        mark(seq, RECEIVED);
      };

      pump();
    });
  }
}
