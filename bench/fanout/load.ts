import type { MqttClient } from 'mqtt';
import { performance } from 'node:perf_hooks';
import { connectClient } from '../shared/mqtt-clients.ts';
import type { FanoutConfig } from './protocol.ts';

export interface FanoutRound {
  published: number;
  delivered: number;
  elapsedMs: number;
  timedOut: boolean;
  /** Gave up because nothing was delivered for `idleMs` while the window was full. */
  stalled: boolean;
}

/** Messages published per turn before yielding to the event loop (deliveries are read in between). */
const CHUNK = 32;

/**
 * One publisher, N subscribers on `#`, all at the same QoS. The publisher cycles through its topics; at most
 * `window` messages are ahead of the slowest subscriber, and the publisher waits for its socket's 'drain'.
 * Only topics below the prefix are counted, so a broker's own messages do not inflate the figures.
 */
export class FanoutLoad {
  private readonly received: number[];
  private onDelivery: (() => void) | null = null;
  private nextTopic = 0;

  private constructor(
    private readonly cfg: FanoutConfig,
    readonly clients: MqttClient[],
    private readonly pub: MqttClient,
    subs: MqttClient[],
  ) {
    this.received = subs.map(() => 0);
    const prefix = `${cfg.topicPrefix}/`;
    subs.forEach((sub, i) => {
      sub.on('message', (topic) => {
        if (!topic.startsWith(prefix)) return;
        this.received[i] = (this.received[i] ?? 0) + 1;
        this.onDelivery?.();
      });
    });
  }

  static async connect(cfg: FanoutConfig): Promise<FanoutLoad> {
    const subs = await Promise.all(Array.from({ length: cfg.subscribers }, (_, i) => connectClient('127.0.0.1', cfg.port, `sub${i}`)));
    await Promise.all(subs.map((s) => s.subscribeAsync('#', { qos: cfg.qos })));
    const pub = await connectClient('127.0.0.1', cfg.port, 'pub');
    return new FanoutLoad(cfg, [pub, ...subs], pub, subs);
  }

  private total(): number {
    return this.received.reduce((a, b) => a + b, 0);
  }

  private slowest(): number {
    return Math.min(...this.received);
  }

  /** Publish `count` messages; resolves when every subscriber has all of them (or on idle/timeout). */
  run(count: number, timeoutMs: number): Promise<FanoutRound> {
    const { cfg } = this;
    const payload = Buffer.alloc(cfg.payloadBytes, 0x61);
    const want = count * this.received.length;
    const baseTotal = this.total();
    const baseSlowest = this.slowest();
    let published = 0;
    let waiting = false;
    let blocked = false;
    const start = performance.now();
    let last = start;

    return new Promise<FanoutRound>((resolve) => {
      let finished = false;
      const delivered = (): number => this.total() - baseTotal;
      const finish = (timedOut: boolean, stalled = false): void => {
        if (finished) return;
        finished = true;
        this.onDelivery = null;
        clearInterval(watchdog);
        resolve({ published, delivered: delivered(), elapsedMs: last - start, timedOut, stalled });
      };
      const ahead = (): number => published - (this.slowest() - baseSlowest);

      const schedule = (): void => {
        if (finished || blocked) return;
        for (let j = 0; j < CHUNK && published < count; j++) {
          if (ahead() >= cfg.window) {
            waiting = true;
            return;
          }
          this.pub.publish(`${cfg.topicPrefix}/t${this.nextTopic}`, payload, { qos: cfg.qos });
          this.nextTopic = (this.nextTopic + 1) % cfg.topics;
          published++;
          if (this.pub.stream.writableNeedDrain) {
            blocked = true;
            this.pub.stream.once('drain', () => {
              blocked = false;
              schedule();
            });
            return;
          }
        }
        if (published < count) setImmediate(schedule);
      };

      let sinceCheck = 0;
      this.onDelivery = (): void => {
        last = performance.now();
        if (++sinceCheck < this.received.length) return; // the window is checked about once per message
        sinceCheck = 0;
        if (delivered() >= want) finish(false);
        else if (waiting && ahead() <= cfg.window / 2) {
          waiting = false;
          schedule();
        }
      };

      const watchdog = setInterval(() => {
        const now = performance.now();
        if (delivered() >= want) finish(false);
        else if (now - start > timeoutMs) finish(true);
        else if (now - last > cfg.idleMs) finish(false, published < count);
      }, 50);

      schedule();
    });
  }
}
